/**
 * Real Serf agents (Debian's serf, built on memberlist 0.2.2) as a member
 * kind: one `serf agent` per member, hosted outside the harness (no
 * `create`), in real time only. Serf's configuration exposes only the
 * timing profile (`lan`, `local`, `wan`: memberlist's presets), so that is
 * the kind's one setting; Lifeguard's three parts are on as in the preset.
 * For any other memberlist field, use the `memberlist` kind.
 *
 * @module
 */

import { z } from "zod";
import { defineKind } from "../../lib/core/kind.ts";
import { withLauncher } from "./launcher.ts";
import { SerfLauncher } from "./serf_launcher.ts";
import {
  describeTimings,
  MEMBERLIST_PRESETS,
  type MemberlistTimings,
  modelTimings,
  type Preset,
  PRESET_TIMINGS,
  silenceOf,
} from "./memberlist_presets.ts";

/** The scenario's `serf` field. */
export const serfSettingsSchema = z.strictObject({
  /** memberlist's timing preset (`-profile`). @default {"lan"} */
  profile: z.enum(MEMBERLIST_PRESETS).optional(),
});

/** Resolved Serf settings: the profile and the timings it sets. */
export interface SerfSettings extends MemberlistTimings {
  /** The profile (`-profile`). */
  readonly profile: Preset;
}

/** Serf agents, one process per member, real time only. */
export const serfKind = withLauncher(
  defineKind<SerfSettings>()({
    name: "serf",
    description: "real Serf agents (serf 0.8.2-dev on memberlist 0.2.2, one process per member; real time only)",
    settingsKey: "serf",
    settingsSchema: serfSettingsSchema,
    gossipOptions: false,
    episodes: false,
    timeCompressible: false,
    resolve: (input) => {
      const profile = (input as { profile?: Preset } | undefined)?.profile ?? "lan";
      return { profile, ...PRESET_TIMINGS[profile] };
    },
    periodMs: (w) => w.probeIntervalMs,
    silenceMs: (w, ctx) => silenceOf(w, ctx.members),
    describe: (w, ctx) => `Serf (${w.profile} profile; memberlist 0.2.2) · ${describeTimings(w, ctx.members)}`,
    model: (w, ctx) => modelTimings(w, ctx.members),
  }),
  (w) => new SerfLauncher(w),
);
