/**
 * Reordering (netem `reorder P [C] gap G`): a selected datagram skips the
 * delay the chain gave it and is sent at once, overtaking datagrams that
 * are still delayed. With `gap` G, only every G-th datagram on a link is a
 * candidate (netem's gap); without it every datagram is. Like netem, it
 * needs a delay on the same link to have any effect.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

/** Spec of {@linkcode ReorderImpairment}: `{ kind: "reorder", probability, gap? }`. */
export const reorderSpecSchema = z.strictObject({
  kind: z.literal("reorder"),
  /** Probability a candidate is sent at once. */
  probability: probabilitySchema(),
  /** Only every gap-th datagram per link is a candidate. @default {1} */
  gap: z.number().int().min(1).optional(),
});
/** Spec of {@linkcode ReorderImpairment}. */
export type ReorderSpec = z.input<typeof reorderSpecSchema>;

/** Per-link state: datagrams seen on the link. */
interface CountLink {
  count: number;
}

/** Reordering. */
export class ReorderImpairment implements Impairment<CountLink> {
  readonly kind = "reorder";
  readonly #p: number;
  readonly #gap: number;

  /** Builds from a validated spec. */
  constructor(spec: ReorderSpec) {
    this.#p = spec.probability;
    this.#gap = spec.gap ?? 1;
  }

  linkState(): CountLink {
    return { count: 0 };
  }

  apply(_packet: Packet, fate: Fate, rng: Prng, link: CountLink): void {
    link.count++;
    if (link.count % this.#gap === 0 && rng() < this.#p) fate.immediate = true;
  }
}
