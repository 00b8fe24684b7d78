/**
 * Reordering (netem `reorder P [C] gap G`): a selected datagram skips the
 * delay the chain gave it and is sent at once, overtaking datagrams that
 * are still delayed. With `gap` G, only every G-th datagram on a link is a
 * candidate (netem's gap); without it every datagram is. Like netem, it
 * needs a delay on the same link to have any effect.
 *
 * @module
 */

import type { Prng } from "../../../lib/core/prng.ts";
import {
  type Fate,
  type Impairment,
  ImpairmentError,
  onlyFields,
  type Packet,
  probabilityField,
} from "./impairment.ts";

/** Spec of {@linkcode ReorderImpairment}. */
export interface ReorderSpec {
  /** The registry name. */
  readonly kind: "reorder";
  /** Probability a candidate is sent at once. */
  readonly probability: number;
  /** Only every gap-th datagram per link is a candidate. @default {1} */
  readonly gap?: number;
}

/** Reordering. */
export class ReorderImpairment implements Impairment {
  readonly kind = "reorder";
  readonly #p: number;
  readonly #gap: number;
  readonly #count = new Map<number, number>();

  /** Validates and builds. */
  constructor(spec: ReorderSpec) {
    onlyFields(this.kind, spec as unknown as Record<string, unknown>, ["probability", "gap"]);
    this.#p = probabilityField(this.kind, "probability", spec.probability);
    const gap = spec.gap ?? 1;
    if (!Number.isInteger(gap) || gap < 1) {
      throw new ImpairmentError("reorder.gap", `'reorder.gap' must be an integer >= 1: current value is ${gap}`);
    }
    this.#gap = gap;
  }

  apply(packet: Packet, fate: Fate, rng: Prng): void {
    const n = (this.#count.get(packet.link) ?? 0) + 1;
    this.#count.set(packet.link, n);
    if (n % this.#gap === 0 && rng() < this.#p) {
      fate.immediate = true;
    }
  }
}
