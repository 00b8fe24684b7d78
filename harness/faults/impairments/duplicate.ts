/**
 * Duplication (netem `duplicate P`): with probability `probability` the
 * datagram is delivered twice.
 *
 * @module
 */

import type { Prng } from "../../../lib/core/prng.ts";
import { type Fate, type Impairment, onlyFields, type Packet, probabilityField } from "./impairment.ts";

/** Spec of {@linkcode DuplicateImpairment}. */
export interface DuplicateSpec {
  /** The registry name. */
  readonly kind: "duplicate";
  /** Probability of a second copy. */
  readonly probability: number;
}

/** Duplication. */
export class DuplicateImpairment implements Impairment {
  readonly kind = "duplicate";
  readonly #p: number;

  /** Validates and builds. */
  constructor(spec: DuplicateSpec) {
    onlyFields(this.kind, spec as unknown as Record<string, unknown>, ["probability"]);
    this.#p = probabilityField(this.kind, "probability", spec.probability);
  }

  apply(_packet: Packet, fate: Fate, rng: Prng): void {
    if (rng() < this.#p) fate.copies++;
  }
}
