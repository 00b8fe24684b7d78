/**
 * Corruption (netem `corrupt P`): with probability `probability`, `bits`
 * random bits of the payload are flipped. Members must reject such
 * datagrams (the wire format's CRC-32 catches them) and count them.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

/** Spec of {@linkcode CorruptImpairment}: `{ kind: "corrupt", probability, bits? }`. */
export const corruptSpecSchema = z.strictObject({
  kind: z.literal("corrupt"),
  /** Probability a datagram is corrupted. */
  probability: probabilitySchema(),
  /** Bits flipped in a corrupted datagram. @default {1} */
  bits: z.number().int().min(1).max(64).optional(),
});
/** Spec of {@linkcode CorruptImpairment}. */
export type CorruptSpec = z.input<typeof corruptSpecSchema>;

/** Corruption. */
export class CorruptImpairment implements Impairment<undefined> {
  readonly kind = "corrupt";
  readonly #p: number;
  readonly #bits: number;

  /** Builds from a validated spec. */
  constructor(spec: CorruptSpec) {
    this.#p = spec.probability;
    this.#bits = spec.bits ?? 1;
  }

  linkState(): undefined {
    return undefined;
  }

  apply(packet: Packet, fate: Fate, rng: Prng): void {
    if (packet.size === 0 || rng() >= this.#p) return;
    for (let i = 0; i < this.#bits; i++) fate.flipBits.push(Math.floor(rng() * packet.size * 8));
  }
}
