/**
 * The variants a comparison can run, and the scenario each one runs: a
 * detector (every member kind of the registry and its named variants, such
 * as SWIM's `lifeguard`), a dissemination style of the basic detector
 * (push, pull, push-pull, digest, topology-aware, multi-level), or
 * catastrophe recovery on or off.
 *
 * Real programs (memberlist, Serf) are detector variants too, from the
 * registry; they run in real time only, so a comparison that includes one
 * runs every variant at speed-up 1 and cannot scale periods to a budget.
 *
 * @module
 */

import type { MemberKind } from "../../lib/core/kind.ts";
import { isExternal, MEMBER_KINDS } from "../members/registry.ts";
import type { ScenarioInput } from "../scenario/mod.ts";
import { kindSettingsInput } from "./_kind_settings.ts";

/** The member kinds and their named variants (SWIM's `lifeguard`), from the registry: the default comparison. */
export const DETECTOR_VARIANTS: readonly string[] = Object.values(MEMBER_KINDS).flatMap((k) => [
  k.name,
  ...Object.keys((k as { variants?: object }).variants ?? {}),
]);
/** The variants a comparison runs when none are named: every detector hosted by the harness (real programs are named). */
export const DEFAULT_VARIANTS: readonly string[] = Object.values(MEMBER_KINDS)
  .filter((k) => !isExternal(k.name))
  .flatMap((k) => [k.name, ...Object.keys((k as { variants?: object }).variants ?? {})]);
/** The basic detector's dissemination styles and target choices. */
export const DISSEMINATION_VARIANTS = ["push", "pull", "push-pull", "digest", "topology-aware", "multi-level"] as const;
/** Catastrophe recovery off and on. */
export const BROADCAST_VARIANTS = ["broadcast", "no-broadcast"] as const;
/** Variants the comparison can run. */
export const COMPARABLE: readonly string[] = [...DETECTOR_VARIANTS, ...DISSEMINATION_VARIANTS, ...BROADCAST_VARIANTS];
/** One of {@linkcode COMPARABLE}. */
export type Comparable = string;

/** The kind a detector variant belongs to, and the variant's settings transform if it is a named one. */
function detectorVariant(
  variant: string,
):
  | { kind: MemberKind<unknown>; settings?: (i: Record<string, unknown> | undefined) => Record<string, unknown> }
  | null {
  for (const k of Object.values(MEMBER_KINDS) as unknown as MemberKind<unknown>[]) {
    if (k.name === variant) return { kind: k };
    const v = k.variants?.[variant];
    if (v) return { kind: k, settings: v };
  }
  return null;
}

/** The variants among `variants` whose members are real programs (run in real time only). */
export function externalVariants(variants: readonly Comparable[]): Comparable[] {
  return variants.filter((v) => {
    const chosen = detectorVariant(v);
    return chosen !== null && chosen.kind.create === undefined;
  });
}

/** The scenario a variant runs: `input` with the variant's settings applied. */
export function applyVariant(input: ScenarioInput, variant: Comparable): ScenarioInput {
  const n = input.members ?? 50;
  const name = `${input.name}-${variant}`;
  const gossipKind = input.detector === "phi" ? "phi" : "basic";
  const gossip = (extra: Partial<ScenarioInput>): ScenarioInput => ({ ...input, name, detector: gossipKind, ...extra });
  const chosen = detectorVariant(variant);
  if (chosen) {
    const { kind, settings } = chosen;
    // Gossip-only settings do not apply to probing detectors.
    const { dissemination: _d, catastrophe: _c, ...probing } = input;
    const base: Record<string, unknown> = { ...(kind.gossipOptions ? input : probing), name, detector: kind.name };
    if (settings && kind.settingsKey) {
      base[kind.settingsKey] = settings(kindSettingsInput(input, kind.settingsKey));
    }
    return base as ScenarioInput;
  }
  switch (variant) {
    case "push":
    case "pull":
    case "push-pull":
    case "digest":
      return gossip({ dissemination: variant });
    case "topology-aware":
      // The lectures' rule: inside the subnet with probability 1 - 1/n_i; about sqrt(n) subnets of sqrt(n).
      return gossip({
        dissemination: "push",
        topology: input.topology ?? { domains: 1, subnetsPerDomain: Math.max(2, Math.round(Math.sqrt(n))) },
      });
    case "multi-level": {
      // The paper's three levels: about cbrt(n) domains of cbrt(n) subnets.
      const k = Math.max(2, Math.round(Math.cbrt(n)));
      return gossip({ dissemination: "push", topology: input.topology ?? { domains: k, subnetsPerDomain: k } });
    }
    case "broadcast":
      return gossip({ catastrophe: input.catastrophe ?? {} });
    case "no-broadcast": {
      const { catastrophe: _c, ...rest } = input;
      return { ...rest, name, detector: gossipKind };
    }
    default:
      throw new RangeError(`unknown variant '${variant}': expected one of ${COMPARABLE.join(", ")}`);
  }
}
