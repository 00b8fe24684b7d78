/**
 * Bernoulli loss with optional correlation (netem `loss P [C]`): with
 * probability `correlation` a datagram shares the previous decision on its
 * link, otherwise it is dropped with probability `probability`. The
 * marginal loss rate stays `probability`; correlation makes bursts.
 *
 * @module
 */

import type { Prng } from "../../../lib/core/prng.ts";
import { type Fate, type Impairment, onlyFields, type Packet, probabilityField } from "./impairment.ts";

/** Spec of {@linkcode LossImpairment}. */
export interface LossSpec {
  /** The registry name. */
  readonly kind: "loss";
  /** Drop probability. */
  readonly probability: number;
  /** Probability of repeating the link's previous decision. @default {0} */
  readonly correlation?: number;
}

/** Bernoulli loss. */
export class LossImpairment implements Impairment {
  readonly kind = "loss";
  readonly #p: number;
  readonly #c: number;
  readonly #last = new Map<number, boolean>();

  /** Validates and builds. */
  constructor(spec: LossSpec) {
    onlyFields("loss", spec as unknown as Record<string, unknown>, ["probability", "correlation"]);
    this.#p = probabilityField("loss", "probability", spec.probability);
    this.#c = probabilityField("loss", "correlation", spec.correlation, 0);
  }

  apply(packet: Packet, fate: Fate, rng: Prng): void {
    const previous = this.#last.get(packet.link);
    const drop = previous !== undefined && this.#c > 0 && rng() < this.#c ? previous : rng() < this.#p;
    this.#last.set(packet.link, drop);
    if (drop) fate.dropped = this.kind;
  }
}
