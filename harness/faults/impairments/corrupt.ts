/**
 * Corruption (netem `corrupt P`): with probability `probability`, `bits`
 * random bits of the payload are flipped. Members must reject such
 * datagrams (the wire format's CRC-32 catches them) and count them.
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

/** Spec of {@linkcode CorruptImpairment}. */
export interface CorruptSpec {
  /** The registry name. */
  readonly kind: "corrupt";
  /** Probability a datagram is corrupted. */
  readonly probability: number;
  /** Bits flipped in a corrupted datagram. @default {1} */
  readonly bits?: number;
}

/** Bit-flip corruption. */
export class CorruptImpairment implements Impairment {
  readonly kind = "corrupt";
  readonly #p: number;
  readonly #bits: number;

  /** Validates and builds. */
  constructor(spec: CorruptSpec) {
    onlyFields(this.kind, spec as unknown as Record<string, unknown>, ["probability", "bits"]);
    this.#p = probabilityField(this.kind, "probability", spec.probability);
    const bits = spec.bits ?? 1;
    if (!Number.isInteger(bits) || bits < 1 || bits > 64) {
      throw new ImpairmentError(
        "corrupt.bits",
        `'corrupt.bits' must be an integer in [1, 64]: current value is ${bits}`,
      );
    }
    this.#bits = bits;
  }

  apply(packet: Packet, fate: Fate, rng: Prng): void {
    if (packet.size === 0 || rng() >= this.#p) return;
    for (let i = 0; i < this.#bits; i++) fate.flipBits.push(Math.floor(rng() * packet.size * 8));
  }
}
