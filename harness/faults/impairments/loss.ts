/**
 * Bernoulli loss with optional correlation (netem `loss P [C]`): with
 * probability `correlation` a datagram shares the previous decision on its
 * link, otherwise it is dropped with probability `probability`. The
 * marginal loss rate stays `probability`; correlation makes bursts.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

const probability = probabilitySchema();

/** Spec of {@linkcode LossImpairment}: `{ kind: "loss", probability, correlation? }`. */
export const lossSpecSchema = z.strictObject({
  kind: z.literal("loss"),
  /** Drop probability. */
  probability,
  /** Probability of repeating the link's previous decision. @default {0} */
  correlation: probability.optional(),
});
/** Spec of {@linkcode LossImpairment}. */
export type LossSpec = z.input<typeof lossSpecSchema>;

/** Per-link state: the link's previous decision. */
interface LossLink {
  last: boolean | undefined;
}

/** Bernoulli loss. */
export class LossImpairment implements Impairment<LossLink> {
  readonly kind = "loss";
  readonly #p: number;
  readonly #c: number;

  /** Builds from a validated spec. */
  constructor(spec: LossSpec) {
    this.#p = spec.probability;
    this.#c = spec.correlation ?? 0;
  }

  linkState(): LossLink {
    return { last: undefined };
  }

  apply(_packet: Packet, fate: Fate, rng: Prng, link: LossLink): void {
    const previous = link.last;
    const drop = previous !== undefined && this.#c > 0 && rng() < this.#c ? previous : rng() < this.#p;
    link.last = drop;
    if (drop) fate.dropped = this.kind;
  }
}
