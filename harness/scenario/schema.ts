/**
 * The scenario schema: the single source of every scenario field, its
 * allowed range and its default. The input type scenario files are
 * written against ({@linkcode ScenarioInput}) is derived from it, and each
 * member kind adds its own settings field from the registry.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../lib/core/_validation.ts";
import { DISSEMINATION_STYLES } from "../../lib/basic/options.ts";
import { ruleSpecSchema } from "../faults/impairments/rule.ts";
import { PARTITION_SHAPES } from "../faults/partitions.ts";
import { DETECTOR_NAMES, MEMBER_KINDS } from "../members/registry.ts";

/**
 * A time in nominal milliseconds, either a number or a sum of multiples of
 * the derived periods, so a scenario scales with the group size:
 * `{ tGossip: 10, tFail: 1 }` is 10 T_gossip + 1 T_fail.
 */
export const durationSchema = z.union([
  z.number().nonnegative().finite(),
  z.strictObject({
    ms: z.number().nonnegative().finite().optional(),
    tGossip: z.number().nonnegative().finite().optional(),
    tFail: z.number().nonnegative().finite().optional(),
  }),
]);
/** A duration as written: nominal ms, or `{ ms, tGossip, tFail }`. */
export type DurationSpec = z.input<typeof durationSchema>;

/** Most members a run on real sockets takes (a private and a public port each). */
export const MAX_SOCKET_MEMBERS = 8187;
/** Most members a scenario may have: the simulator's limit (`--simulate`; its partition table takes n² bytes). */
export const MAX_MEMBERS = 20_000;

const memberIndex = z.number().int().min(0);
const probability = probabilitySchema();

/**
 * One fault of the schedule, the canonical form of every fault. Times are
 * relative to the start; `recoverAfter`, `restartAfter`, `for`, `healAfter`
 * relative to the fault's `at`.
 */
export const faultSchema = z.discriminatedUnion("kind", [
  /** Crash by proxy: black-hole the member (it keeps running), optionally recovering. */
  z.strictObject({
    kind: z.literal("crash"),
    at: durationSchema,
    member: memberIndex,
    recoverAfter: durationSchema.optional(),
  }),
  /** Kill the member's detector and socket for real, optionally restarting it with a fresh heartbeat. */
  z.strictObject({
    kind: z.literal("kill"),
    at: durationSchema,
    member: memberIndex,
    restartAfter: durationSchema.optional(),
  }),
  /** Stop the member's processing (SIGSTOP with process hosting), then resume it. */
  z.strictObject({ kind: z.literal("pause"), at: durationSchema, member: memberIndex, for: durationSchema }),
  /**
   * A slow member (an overloaded process, Lifeguard's case): stopped for `stoppedFraction` of every
   * `interval` (SIGSTOP/SIGCONT with process hosting, where it gets a process of its own), for `for`.
   */
  z.strictObject({
    kind: z.literal("slow"),
    at: durationSchema,
    member: memberIndex,
    for: durationSchema,
    interval: durationSchema.default(1000),
    stoppedFraction: z.number().gt(0).lt(1),
  }),
  /** A partition of one of the shapes, optionally healing. */
  z.strictObject({
    kind: z.literal("partition"),
    at: durationSchema,
    shape: z.enum(PARTITION_SHAPES),
    member: memberIndex.optional(),
    from: z.array(memberIndex).optional(),
    to: z.array(memberIndex).optional(),
    groups: z.array(z.array(memberIndex)).optional(),
    healAfter: durationSchema.optional(),
  }),
  /** An impairment rule installed for a while. */
  z.strictObject({
    kind: z.literal("impair"),
    at: durationSchema,
    rule: ruleSpecSchema,
    for: durationSchema.optional(),
  }),
]);
/** One fault as written in a scenario. */
export type FaultInput = z.input<typeof faultSchema>;

/** The scenario's fields other than the kinds' settings. */
const baseShape = {
  /** Scenario name (the default output directory uses it with unsafe characters replaced). */
  name: z.string().min(1).max(200),
  /** One line describing the experiment. */
  description: z.string().max(1000).default(""),
  /** Members, n (at most {@linkcode MAX_SOCKET_MEMBERS} on real sockets). */
  members: z.number().int().min(2).max(MAX_MEMBERS).default(50),
  /** Per-member gossip budget B (bytes/s). */
  budgetBytesPerSec: z.number().min(8).finite().default(250),
  /**
   * Which bytes the budget verdict counts: `entries` (the paper's 8n, from which T_gossip = 8n/B),
   * `payload` (UDP payload, the 8-byte header included) or `wire` (plus 28 bytes of IPv4/UDP headers).
   */
  budgetAccounting: z.enum(["entries", "payload", "wire"]).default("entries"),
  /** Target mistake probability that sets T_fail. */
  pMistake: z.number().gt(0).lt(1).default(1e-3),
  /** Failed members the model assumes when it sets T_fail. */
  modelFailed: z.number().int().min(0).default(1),
  /** Loss the model assumes when it sets T_fail. */
  modelLoss: z.number().min(0).lt(1).default(0),
  /** Overrides T_fail (nominal ms). */
  tFailMs: z.number().positive().finite().optional(),
  /** Overrides T_cleanup (nominal ms); 2 T_fail by default. */
  tCleanupMs: z.number().positive().finite().optional(),
  /** Bernoulli loss the proxy applies to every link. */
  loss: probability.default(0),
  /** Run length (nominal). */
  duration: durationSchema,
  /** Time-compression factor: nominal seconds per real second. */
  speedup: z.number().gt(0).max(1000).default(1),
  /** Seed of every random choice. */
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  /** Shards hosting the members. */
  shards: z.number().int().min(1).max(64).default(2),
  /** First private port for members (consecutive; the proxy's follow); 0 = any free ports. */
  basePort: z.number().int().min(0).max(65535).default(0),
  /** Sugar for crash faults without recovery: `{ member, at }` each. */
  crashes: z.array(z.strictObject({ member: memberIndex, at: durationSchema })).default([]),
  /** The paper's f: the last `failed` members are black-holed before any member starts. */
  failed: z.number().int().min(0).default(0),
  /** The fault schedule. */
  faults: z.array(faultSchema).default([]),
  /** Impairment rules installed for the whole run. */
  impairments: z.array(ruleSpecSchema).default([]),
  /** Quiet time after every fault is healed, before measurement stops; 5 of the detector's periods with faults, else 0. */
  recovery: durationSchema.optional(),
  /** Where harness-hosted members run: Web Workers, or one process per shard (pause is a real SIGSTOP). */
  hosting: z.enum(["workers", "processes"]).default("workers"),
  /** Which member kind runs (see `harness list`). */
  detector: z.enum(DETECTOR_NAMES).default("basic"),
  /** How the basic (or phi) detector's gossip exchanges state; "push" by default. */
  dissemination: z.enum(DISSEMINATION_STYLES).optional(),
  /** Virtual domains and subnets (paper section 4); absent: one subnet. */
  topology: z.strictObject({
    domains: z.number().int().min(1).default(1),
    subnetsPerDomain: z.number().int().min(1).default(1),
  }).optional(),
  /** Catastrophe recovery (paper section 5; gossip detectors). */
  catastrophe: z.strictObject({
    /** The mean time between broadcasts a is chosen for (seconds). */
    meanIntervalSeconds: z.number().gt(1).lt(20).default(10),
    /** The exponent a itself (overrides `meanIntervalSeconds`). */
    exponent: z.number().positive().finite().optional(),
    /** Silence before a member is reported failed (gossip to it stops at T_fail); T_fail by default. */
    reportAfter: durationSchema.optional(),
  }).optional(),
  /** Measure propagation episodes (heartbeat origin to learn, per observer). */
  measureEpisodes: z.boolean().default(false),
  /** How long after its origin an episode is watched; 1.5 T_fail by default. */
  episodeHorizon: durationSchema.optional(),
  /** Timer lateness p99 above this fraction of the detector's period makes a run unfaithful. */
  faithfulLatenessFraction: z.number().gt(0).max(1).default(0.05),
};

type Kinds = typeof MEMBER_KINDS;
type SettingsKeyOf<K> = K extends { readonly settingsKey: infer S extends string } ? S : never;
type SchemaOf<K> = K extends { readonly settingsSchema: infer Z extends z.ZodType } ? Z : never;
/** Each kind's settings field, from the registry. */
type KindFields = { [N in keyof Kinds as SettingsKeyOf<Kinds[N]>]: z.ZodOptional<SchemaOf<Kinds[N]>> };

function kindFields(): KindFields {
  const fields: Record<string, z.ZodType> = {};
  for (const kind of Object.values(MEMBER_KINDS)) {
    if (kind.settingsKey !== null && kind.settingsSchema) fields[kind.settingsKey] = kind.settingsSchema.optional();
  }
  return fields as unknown as KindFields;
}

/** The whole scenario schema: strict (unknown fields are errors), defaults filled on parse. */
export const scenarioSchema = z.strictObject({ ...baseShape, ...kindFields() });

/**
 * A scenario as written in a file (every field but `name` and `duration`
 * optional): the input of the scenario schema, derived from it, so its
 * fields are described in README.md (Detectors, Faults) and in the
 * schema's own comments rather than here.
 *
 * @ignore
 */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A scenario after parsing: defaults filled, not yet resolved against the group. */
export type ParsedScenario = z.output<typeof scenarioSchema>;
