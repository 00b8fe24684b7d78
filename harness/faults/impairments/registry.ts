/**
 * Impairments by name: scenario data (`{ kind: "delay", ms: 20 }`) maps
 * onto a class here. To add one, see README.md beside this file.
 *
 * @module
 */

import { CorruptImpairment, type CorruptSpec } from "./corrupt.ts";
import { DelayImpairment, type DelaySpec } from "./delay.ts";
import { DuplicateImpairment, type DuplicateSpec } from "./duplicate.ts";
import { GilbertElliottImpairment, type GilbertElliottSpec } from "./gilbert_elliott.ts";
import { type Impairment, ImpairmentError } from "./impairment.ts";
import { LossImpairment, type LossSpec } from "./loss.ts";
import { RateImpairment, type RateSpec } from "./rate.ts";
import { ReorderImpairment, type ReorderSpec } from "./reorder.ts";

/** Every impairment's spec. */
export type ImpairmentSpec =
  | LossSpec
  | GilbertElliottSpec
  | DelaySpec
  | DuplicateSpec
  | CorruptSpec
  | ReorderSpec
  | RateSpec;

const REGISTRY: Record<string, (spec: never) => Impairment> = {
  "loss": (spec: LossSpec) => new LossImpairment(spec),
  "gilbert-elliott": (spec: GilbertElliottSpec) => new GilbertElliottImpairment(spec),
  "delay": (spec: DelaySpec) => new DelayImpairment(spec),
  "duplicate": (spec: DuplicateSpec) => new DuplicateImpairment(spec),
  "corrupt": (spec: CorruptSpec) => new CorruptImpairment(spec),
  "reorder": (spec: ReorderSpec) => new ReorderImpairment(spec),
  "rate": (spec: RateSpec) => new RateImpairment(spec),
};

/** The impairment kinds, as named in scenarios. */
export const IMPAIRMENT_KINDS: readonly string[] = Object.keys(REGISTRY);

/** Builds an impairment from its spec; throws ImpairmentError naming the bad field or an unknown kind. */
export function createImpairment(spec: ImpairmentSpec): Impairment {
  if (spec === null || typeof spec !== "object") {
    throw new ImpairmentError(
      "kind",
      `an impairment must be an object with a 'kind': current value is ${JSON.stringify(spec)}`,
    );
  }
  const make = REGISTRY[(spec as { kind?: string }).kind ?? ""];
  if (!make) {
    throw new ImpairmentError(
      "kind",
      `unknown impairment '${(spec as { kind?: string }).kind}': expected one of ${IMPAIRMENT_KINDS.join(", ")}`,
    );
  }
  return make(spec as never);
}
