/**
 * The member-kind registry: every detector a scenario can name, one line
 * each. A kind is defined beside its detector (`lib/<family>/kind.ts`) or,
 * for real programs hosted outside the harness, in `../external/`.
 *
 * @module
 */

import { basicKind, phiKind } from "../../lib/basic/kind.ts";
import type { MemberKind } from "../../lib/core/kind.ts";
import { neighborKind } from "../../lib/neighbor/kind.ts";
import { swimKind } from "../../lib/swim/kind.ts";
import { memberlistKind } from "../external/memberlist_kind.ts";
import { serfKind } from "../external/serf_kind.ts";

/** Every kind, by the name scenarios use. Adding a detector adds one line here. */
export const MEMBER_KINDS = {
  basic: basicKind,
  phi: phiKind,
  swim: swimKind,
  neighbor: neighborKind,
  memberlist: memberlistKind,
  serf: serfKind,
} as const;

/** The names scenarios can give as `detector`. */
export const DETECTOR_NAMES = Object.keys(MEMBER_KINDS) as [DetectorName, ...DetectorName[]];

/** One of {@linkcode DETECTOR_NAMES}. */
export type DetectorName = keyof typeof MEMBER_KINDS;

/** The kind registered under `name` (settings typed loosely: they travel as JSON). */
export function kindOf(name: string): MemberKind<unknown> {
  const kind = (MEMBER_KINDS as Record<string, unknown>)[name];
  if (!kind) throw new RangeError(`no member kind '${name}': expected one of ${DETECTOR_NAMES.join(", ")}`);
  return kind as unknown as MemberKind<unknown>;
}

/** Whether a kind's members are real programs hosted outside the harness (it has no `create`). */
export function isExternal(name: string): boolean {
  return kindOf(name).create === undefined;
}

/** The settings fields of every kind that has one (scenario field → kind). */
export function settingsFields(): { key: string; kind: MemberKind<unknown> }[] {
  return Object.values(MEMBER_KINDS)
    .filter((k) => k.settingsKey !== null)
    .map((k) => ({ key: k.settingsKey!, kind: k as unknown as MemberKind<unknown> }));
}
