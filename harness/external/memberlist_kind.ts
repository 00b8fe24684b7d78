/**
 * Real HashiCorp memberlist (0.2.2) as a member kind: one Go driver process
 * per member (`drivers/memberlist/`), hosted outside the harness (no
 * `create`), in real time only. Its settings are a preset (`lan`, `local`,
 * `wan`), every timing and tuning field the driver exposes, and Lifeguard's
 * parts as switches: `awareness` (AwarenessMaxMultiplier > 1) and
 * `dynamicSuspicion` (SuspicionMaxTimeoutMult > 1). The third part, the
 * buddy system, is always on in 0.2.2: there is no switch to turn it off.
 *
 * @module
 */

import { z } from "zod";
import { ConfigError } from "../../lib/core/errors.ts";
import { defineKind } from "../../lib/core/kind.ts";
import { withLauncher } from "./launcher.ts";
import { MemberlistLauncher } from "./memberlist_launcher.ts";
import type { MemberlistTuning } from "./memberlist_driver.ts";
import {
  describeTimings,
  MEMBERLIST_PRESETS,
  type MemberlistTimings,
  modelTimings,
  type Preset,
  PRESET_TIMINGS,
  silenceOf,
} from "./memberlist_presets.ts";

const ms = z.number().nonnegative().finite();
const count = z.number().int().min(0).max(1_000_000);

/** The scenario's `memberlist` field: every property optional (the preset's value, see memberlist_presets.ts). */
export const memberlistSettingsSchema = z.strictObject({
  preset: z.enum(MEMBERLIST_PRESETS).optional(),
  awareness: z.boolean().optional(),
  dynamicSuspicion: z.boolean().optional(),
  probeIntervalMs: z.number().positive().finite().optional(),
  probeTimeoutMs: z.number().positive().finite().optional(),
  indirectChecks: count.optional(),
  suspicionMult: z.number().int().min(1).max(1000).optional(),
  suspicionMaxTimeoutMult: z.number().int().min(1).max(1000).optional(),
  awarenessMaxMultiplier: z.number().int().min(1).max(1000).optional(),
  gossipIntervalMs: ms.optional(),
  gossipNodes: count.optional(),
  gossipToTheDeadTimeMs: ms.optional(),
  pushPullIntervalMs: ms.optional(),
  tcpTimeoutMs: z.number().positive().finite().optional(),
  retransmitMult: count.optional(),
  disableTcpPings: z.boolean().optional(),
  deadNodeReclaimTimeMs: ms.optional(),
  handoffQueueDepth: count.optional(),
  udpBufferSize: z.number().int().min(64).max(65_507).optional(),
  enableCompression: z.boolean().optional(),
  gossipVerifyIncoming: z.boolean().optional(),
  gossipVerifyOutgoing: z.boolean().optional(),
  requireNodeNames: z.boolean().optional(),
  protocolVersion: z.number().int().min(1).max(5).optional(),
  secretKey: z.string().refine((k) => [16, 24, 32].includes(k.length), "must be a key of 16, 24 or 32 characters")
    .optional(),
});
/** The `memberlist` field as written. */
export type MemberlistSettingsInput = z.input<typeof memberlistSettingsSchema>;

/** The driver flags that are not timings, passed through only when given. */
const OTHER_FIELDS = [
  "deadNodeReclaimTimeMs",
  "handoffQueueDepth",
  "udpBufferSize",
  "enableCompression",
  "gossipVerifyIncoming",
  "gossipVerifyOutgoing",
  "requireNodeNames",
  "protocolVersion",
  "secretKey",
] as const;

/** Resolved settings: every timing filled from the preset, Lifeguard's parts decided. */
export interface MemberlistSettings extends MemberlistTimings {
  /** The preset the timings start from. */
  readonly preset: Preset;
  /** Lifeguard's local-health multiplier (AwarenessMaxMultiplier > 1). */
  readonly awareness: boolean;
  /** Lifeguard's shrinking suspicion timeout (SuspicionMaxTimeoutMult > 1). */
  readonly dynamicSuspicion: boolean;
  /** Lifeguard's buddy system: always on in memberlist 0.2.2 (no switch). */
  readonly buddy: true;
  /** Driver flags other than timings, as given. */
  readonly other: Pick<MemberlistTuning, typeof OTHER_FIELDS[number]>;
}

/**
 * A Lifeguard part: its switch and its multiplier must agree; the switch
 * alone sets the multiplier (1 off, the preset's on).
 */
function lifeguardPart(
  on: boolean | undefined,
  mult: number | undefined,
  preset: number,
  names: { part: string; mult: string },
): { on: boolean; mult: number } {
  if (on === undefined) return mult === undefined ? { on: preset > 1, mult: preset } : { on: mult > 1, mult };
  if (mult !== undefined && (mult > 1) !== on) {
    throw new ConfigError(
      names.mult,
      `'${names.mult}' must be ${on ? "> 1" : "1"} with '${names.part}: ${on}': current value is ${mult}`,
    );
  }
  return { on, mult: mult ?? (on ? Math.max(2, preset) : 1) };
}

/** Fills the preset's values and checks the settings. */
export function resolveMemberlistSettings(input: MemberlistSettingsInput | undefined): MemberlistSettings {
  const i = input ?? {};
  const preset = i.preset ?? "lan";
  const base = PRESET_TIMINGS[preset];
  const timings = Object.fromEntries(
    (Object.keys(base) as (keyof MemberlistTimings)[]).map((k) => [k, i[k] ?? base[k]]),
  ) as unknown as MemberlistTimings;
  if (!(timings.probeTimeoutMs <= timings.probeIntervalMs)) {
    throw new ConfigError(
      "probeTimeoutMs",
      `'probeTimeoutMs' must be <= 'probeIntervalMs' (${timings.probeIntervalMs}): current value is ${timings.probeTimeoutMs}`,
    );
  }
  const awareness = lifeguardPart(i.awareness, i.awarenessMaxMultiplier, base.awarenessMaxMultiplier, {
    part: "awareness",
    mult: "awarenessMaxMultiplier",
  });
  const dynamic = lifeguardPart(i.dynamicSuspicion, i.suspicionMaxTimeoutMult, base.suspicionMaxTimeoutMult, {
    part: "dynamicSuspicion",
    mult: "suspicionMaxTimeoutMult",
  });
  const other = Object.fromEntries(OTHER_FIELDS.filter((k) => i[k] !== undefined).map((k) => [k, i[k]]));
  return {
    preset,
    ...timings,
    awarenessMaxMultiplier: awareness.mult,
    suspicionMaxTimeoutMult: dynamic.mult,
    awareness: awareness.on,
    dynamicSuspicion: dynamic.on,
    buddy: true,
    other,
  };
}

/** The driver's flags for resolved settings: every timing explicitly, the other fields as given. */
export function memberlistTuningOf(w: MemberlistSettings): MemberlistTuning {
  const { preset: _p, awareness: _a, dynamicSuspicion: _d, buddy: _b, other, ...timings } = w;
  return { ...timings, ...other };
}

/** memberlist 0.2.2, one driver process per member (`drivers/memberlist/`), real time only. */
export const memberlistKind = withLauncher(
  defineKind<MemberlistSettings>()({
    name: "memberlist",
    description: "real HashiCorp memberlist 0.2.2 (Go driver, one process per member; real time only)",
    settingsKey: "memberlist",
    settingsSchema: memberlistSettingsSchema,
    gossipOptions: false,
    episodes: false,
    timeCompressible: false,
    resolve: (input) => resolveMemberlistSettings(input as MemberlistSettingsInput | undefined),
    periodMs: (w) => w.probeIntervalMs,
    silenceMs: (w, ctx) => silenceOf(w, ctx.members),
    describe: (w, ctx) => `memberlist 0.2.2 (${w.preset}) · ${describeTimings(w, ctx.members)}`,
    model: (w, ctx) => modelTimings(w, ctx.members),
    variants: {
      // Lifeguard off as far as 0.2.2 allows (AwarenessMaxMultiplier 1, SuspicionMaxTimeoutMult 1; the buddy system stays).
      "memberlist-classic": (input) => ({ ...input, awareness: false, dynamicSuspicion: false }),
    },
  }),
  (w) => new MemberlistLauncher(w),
);
