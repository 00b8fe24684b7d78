/**
 * Gilbert-Elliott burst loss (netem `loss gemodel p r 1-h 1-k`): a
 * two-state Markov chain per link. In the good state datagrams are lost
 * with `lossGood`, in the bad state with `lossBad`; each datagram first
 * moves good→bad with probability `p` or bad→good with probability `r`.
 * Mean burst (bad-state) length is 1/r datagrams; the stationary loss rate
 * is `(r lossGood + p lossBad) / (p + r)`.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

const probability = probabilitySchema();

/** Spec of {@linkcode GilbertElliottImpairment}: `{ kind: "gilbert-elliott", p, r, lossBad?, lossGood? }`. */
export const gilbertElliottSpecSchema = z.strictObject({
  kind: z.literal("gilbert-elliott"),
  /** Good → bad transition probability per datagram. */
  p: probability,
  /** Bad → good transition probability per datagram. */
  r: probability,
  /** Loss probability in the bad state (netem 1-h). @default {1} */
  lossBad: probability.optional(),
  /** Loss probability in the good state (netem 1-k). @default {0} */
  lossGood: probability.optional(),
});
/** Spec of {@linkcode GilbertElliottImpairment}. */
export type GilbertElliottSpec = z.input<typeof gilbertElliottSpecSchema>;

/** Per-link state: whether the chain is in the bad state. */
interface ChainLink {
  bad: boolean;
}

/** Gilbert-Elliott burst loss. */
export class GilbertElliottImpairment implements Impairment<ChainLink> {
  readonly kind = "gilbert-elliott";
  readonly #p: number;
  readonly #r: number;
  readonly #lossBad: number;
  readonly #lossGood: number;

  /** Builds from a validated spec. */
  constructor(spec: GilbertElliottSpec) {
    this.#p = spec.p;
    this.#r = spec.r;
    this.#lossBad = spec.lossBad ?? 1;
    this.#lossGood = spec.lossGood ?? 0;
  }

  /** The long-run loss rate of this chain. */
  get stationaryLoss(): number {
    const total = this.#p + this.#r;
    return total === 0 ? this.#lossGood : (this.#r * this.#lossGood + this.#p * this.#lossBad) / total;
  }

  linkState(): ChainLink {
    return { bad: false };
  }

  apply(_packet: Packet, fate: Fate, rng: Prng, link: ChainLink): void {
    link.bad = link.bad ? rng() >= this.#r : rng() < this.#p;
    if (rng() < (link.bad ? this.#lossBad : this.#lossGood)) fate.dropped = this.kind;
  }
}
