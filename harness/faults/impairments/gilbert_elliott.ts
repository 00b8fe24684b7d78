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

import type { Prng } from "../../../lib/core/prng.ts";
import { type Fate, type Impairment, onlyFields, type Packet, probabilityField } from "./impairment.ts";

/** Spec of {@linkcode GilbertElliottImpairment}. */
export interface GilbertElliottSpec {
  /** The registry name. */
  readonly kind: "gilbert-elliott";
  /** Good → bad transition probability per datagram. */
  readonly p: number;
  /** Bad → good transition probability per datagram. */
  readonly r: number;
  /** Loss probability in the bad state (netem 1-h). @default {1} */
  readonly lossBad?: number;
  /** Loss probability in the good state (netem 1-k). @default {0} */
  readonly lossGood?: number;
}

/** Gilbert-Elliott burst loss. */
export class GilbertElliottImpairment implements Impairment {
  readonly kind = "gilbert-elliott";
  readonly #p: number;
  readonly #r: number;
  readonly #lossBad: number;
  readonly #lossGood: number;
  readonly #bad = new Map<number, boolean>();

  /** Validates and builds. */
  constructor(spec: GilbertElliottSpec) {
    onlyFields(this.kind, spec as unknown as Record<string, unknown>, ["p", "r", "lossBad", "lossGood"]);
    this.#p = probabilityField(this.kind, "p", spec.p);
    this.#r = probabilityField(this.kind, "r", spec.r);
    this.#lossBad = probabilityField(this.kind, "lossBad", spec.lossBad, 1);
    this.#lossGood = probabilityField(this.kind, "lossGood", spec.lossGood, 0);
  }

  /** The long-run loss rate of this chain. */
  get stationaryLoss(): number {
    const total = this.#p + this.#r;
    return total === 0 ? this.#lossGood : (this.#r * this.#lossGood + this.#p * this.#lossBad) / total;
  }

  apply(packet: Packet, fate: Fate, rng: Prng): void {
    let bad = this.#bad.get(packet.link) ?? false;
    bad = bad ? rng() >= this.#r : rng() < this.#p;
    this.#bad.set(packet.link, bad);
    if (rng() < (bad ? this.#lossBad : this.#lossGood)) fate.dropped = this.kind;
  }
}
