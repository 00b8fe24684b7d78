/**
 * Impairments by name: scenario data (`{ kind: "delay", ms: 20 }`) maps
 * onto a class here, through one schema per impairment. To add one, see
 * README.md beside this file.
 *
 * @module
 */

import { z } from "zod";
import { parseOrThrow } from "../../../lib/core/_validation.ts";
import { CorruptImpairment, corruptSpecSchema } from "./corrupt.ts";
import { DelayImpairment, delaySpecSchema } from "./delay.ts";
import { DuplicateImpairment, duplicateSpecSchema } from "./duplicate.ts";
import { GilbertElliottImpairment, gilbertElliottSpecSchema } from "./gilbert_elliott.ts";
import type { Impairment } from "./impairment.ts";
import { LossImpairment, lossSpecSchema } from "./loss.ts";
import { RateImpairment, rateSpecSchema } from "./rate.ts";
import { ReorderImpairment, reorderSpecSchema } from "./reorder.ts";

/** Every impairment's spec, told apart by `kind`. */
export const impairmentSpecSchema = z.discriminatedUnion("kind", [
  lossSpecSchema,
  gilbertElliottSpecSchema,
  delaySpecSchema,
  duplicateSpecSchema,
  corruptSpecSchema,
  reorderSpecSchema,
  rateSpecSchema,
], { error: "must name a known impairment (loss, gilbert-elliott, delay, duplicate, corrupt, reorder, rate)" });
/** Every impairment's spec. */
export type ImpairmentSpec = z.input<typeof impairmentSpecSchema>;

const REGISTRY: { [K in ImpairmentSpec["kind"]]: (spec: Extract<ImpairmentSpec, { kind: K }>) => Impairment } = {
  "loss": (spec) => new LossImpairment(spec),
  "gilbert-elliott": (spec) => new GilbertElliottImpairment(spec),
  "delay": (spec) => new DelayImpairment(spec),
  "duplicate": (spec) => new DuplicateImpairment(spec),
  "corrupt": (spec) => new CorruptImpairment(spec),
  "reorder": (spec) => new ReorderImpairment(spec),
  "rate": (spec) => new RateImpairment(spec),
};

/** The impairment kinds, as named in scenarios. */
export const IMPAIRMENT_KINDS: readonly string[] = Object.keys(REGISTRY);

/** Builds an impairment from its spec; throws ConfigError naming the bad field (`delay.ms`) or an unknown kind. */
export function createImpairment(raw: ImpairmentSpec): Impairment {
  const kind = (raw as { kind?: unknown } | null)?.kind;
  const known = typeof kind === "string" && Object.hasOwn(REGISTRY, kind);
  const spec = parseOrThrow(impairmentSpecSchema, raw, { prefix: known ? kind : "" });
  return (REGISTRY[spec.kind] as (s: ImpairmentSpec) => Impairment)(spec);
}
