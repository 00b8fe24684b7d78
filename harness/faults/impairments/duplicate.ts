/**
 * Duplication (netem `duplicate P`): with probability `probability` the
 * datagram is delivered twice.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

/** Spec of {@linkcode DuplicateImpairment}: `{ kind: "duplicate", probability }`. */
export const duplicateSpecSchema = z.strictObject({
  kind: z.literal("duplicate"),
  /** Probability of a second copy. */
  probability: probabilitySchema(),
});
/** Spec of {@linkcode DuplicateImpairment}. */
export type DuplicateSpec = z.input<typeof duplicateSpecSchema>;

/** Duplication. */
export class DuplicateImpairment implements Impairment<undefined> {
  readonly kind = "duplicate";
  readonly #p: number;

  /** Builds from a validated spec. */
  constructor(spec: DuplicateSpec) {
    this.#p = spec.probability;
  }

  linkState(): undefined {
    return undefined;
  }

  apply(_packet: Packet, fate: Fate, rng: Prng): void {
    if (rng() < this.#p) fate.copies++;
  }
}
