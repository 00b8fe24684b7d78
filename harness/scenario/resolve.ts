/**
 * Scenarios: declarative experiments. A scenario file under `scenarios/`
 * exports a {@linkcode ScenarioInput}; the CLI's flags override its fields;
 * {@linkcode resolveScenario} validates the result (unknown fields and
 * out-of-range values are errors naming the field) and derives the
 * detector's timings.
 *
 * @module
 */

import { z } from "zod";
import { deriveGossipConfig, type GossipConfig } from "../../lib/basic/config.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { type Action, compileSchedule, type Fault, type PartitionSpec, ScheduleError } from "../faults/schedule.ts";
import { ImpairmentError } from "../faults/impairments/impairment.ts";
import { Rule, type RuleSpec } from "../faults/impairments/rule.ts";
import { PARTITION_SHAPES, type PartitionShape } from "../faults/partitions.ts";
import type { Hosting } from "../hosting/shard_pool.ts";
import {
  DETECTOR_NAMES,
  type DetectorName,
  type MemberLevels,
  type NeighborSettings,
  type SwimSettings,
} from "../hosting/shard_protocol.ts";
import type { PhiOptions } from "../../lib/basic/phi.ts";
import { DISSEMINATION_STYLES, type DisseminationStyle } from "../../lib/basic/options.ts";
import { broadcastExponentFor } from "../../lib/model/catastrophe.ts";
import { NEIGHBOR_DEFAULTS } from "../../lib/neighbor/options.ts";

/**
 * A time in nominal milliseconds, either a number or a sum of multiples of
 * the derived periods, so a scenario scales with the group size:
 * `{ tGossip: 10, tFail: 1 }` is 10 T_gossip + 1 T_fail.
 */
export type DurationSpec = number | {
  readonly ms?: number | undefined;
  readonly tGossip?: number | undefined;
  readonly tFail?: number | undefined;
};

/** One crash by proxy: black-hole `member` from `at` on. */
export interface CrashSpec {
  /** Member index, in [0, members). */
  readonly member: number;
  /** When (nominal). */
  readonly at: DurationSpec;
}

/** A scenario as written in a file (every field but `name` optional). */
export interface ScenarioInput {
  /** Scenario name (file name under scenarios/). */
  readonly name: string;
  /** One line describing the experiment. */
  readonly description?: string;
  /** Members, n. @default {50} */
  readonly members?: number;
  /** Per-member gossip budget B (bytes/s). @default {250} */
  readonly budgetBytesPerSec?: number;
  /** Target mistake probability that sets T_fail. @default {1e-3} */
  readonly pMistake?: number;
  /** Failed members the model assumes when it sets T_fail. @default {1} */
  readonly modelFailed?: number;
  /** Loss the model assumes when it sets T_fail. @default {0} */
  readonly modelLoss?: number;
  /** Overrides T_fail (nominal ms). */
  readonly tFailMs?: number;
  /** Overrides T_cleanup (nominal ms). @default {2 T_fail} */
  readonly tCleanupMs?: number;
  /** Bernoulli loss the proxy applies to every link, in [0, 1]. @default {0} */
  readonly loss?: number;
  /** Run length (nominal). */
  readonly duration: DurationSpec;
  /** Time-compression factor: nominal seconds per real second. @default {1} */
  readonly speedup?: number;
  /** Seed of every random choice. @default {1} */
  readonly seed?: number;
  /** Worker shards hosting the members. @default {2} */
  readonly shards?: number;
  /** First private port for members (consecutive); 0 = any free ports. @default {0} */
  readonly basePort?: number;
  /** Crashes by proxy. @default {[]} */
  readonly crashes?: readonly CrashSpec[];
  /**
   * Members failed from the start (the paper's f): the last `failed`
   * indices are black-holed by the proxy before any member starts.
   * @default {0}
   */
  readonly failed?: number;
  /**
   * The fault schedule (times relative to the start; `recoverAfter`,
   * `restartAfter`, `for`, `healAfter` relative to the fault's `at`).
   * @default {[]}
   */
  readonly faults?: readonly FaultInput[];
  /** Impairment rules installed for the whole run. @default {[]} */
  readonly impairments?: readonly RuleSpec[];
  /**
   * Quiet time after the schedule ends and every fault is healed, before
   * measurement stops. @default {{ tGossip: 5 }} when there are faults, else 0
   */
  readonly recovery?: DurationSpec;
  /**
   * Where members run: Web Workers in the harness process, or one process
   * per shard, so `pause` is a real SIGSTOP/SIGCONT (each paused member
   * then gets a process of its own). @default {"workers"}
   */
  readonly hosting?: Hosting;
  /** Which detector the members run. @default {"basic"} */
  readonly detector?: DetectorName;
  /** How the basic (or phi) detector's gossip exchanges state. @default {"push"} */
  readonly dissemination?: DisseminationStyle;
  /**
   * Virtual domains and subnets (paper section 4): members are split into
   * `domains * subnetsPerDomain` subnets of consecutive indices. The basic and
   * phi detectors then choose targets by level (another subnet w.p. 1/n,
   * another domain w.p. 1/(n m)); the proxy counts the bytes each level
   * carries for every detector. Absent: one subnet, uniform targets.
   */
  readonly topology?: {
    /** Domains. @default {1} */
    readonly domains?: number;
    /** Subnets in each domain. @default {1} */
    readonly subnetsPerDomain?: number;
  };
  /**
   * Catastrophe recovery (paper section 5; basic and phi detectors): each
   * member broadcasts its list to its subnet once per second with probability
   * (t/20)^a, and reports a silent member only after `reportAfter`.
   */
  readonly catastrophe?: {
    /** The mean time between broadcasts a is chosen for (seconds). @default {10} */
    readonly meanIntervalSeconds?: number;
    /** The exponent a itself (overrides `meanIntervalSeconds`). */
    readonly exponent?: number;
    /** Silence before a member is reported failed (gossip to it stops at T_fail). @default {{ tFail: 1 }} */
    readonly reportAfter?: DurationSpec;
  };
  /** The lecture's neighbour-ping detector's settings (with `detector: "neighbor"`). */
  readonly neighbor?: Partial<NeighborSettings>;
  /** Phi accrual settings (with `detector: "phi"`; the gossip is the basic detector's). */
  readonly phi?: PhiOptions;
  /** SWIM's settings (with `detector: "swim"`). */
  readonly swim?: {
    /** Protocol period T' (nominal ms). @default {1000} */
    readonly protocolPeriodMs?: number;
    /** Direct ping timeout (ms), below T'. @default {500} */
    readonly pingTimeoutMs?: number;
    /** Indirect probers k. @default {3} */
    readonly indirectChecks?: number;
    /** Suspicion multiplier: timeout = mult * max(1, log10 n) * T'. @default {4} */
    readonly suspicionMult?: number;
    /** Lifeguard's extensions. @default {false} */
    readonly lifeguard?: boolean;
    /** memberlist's separate gossip interval (ms); absent: piggyback only, as in the SWIM paper. */
    readonly gossipIntervalMs?: number;
    /** Members each separate gossip goes to. @default {3} */
    readonly gossipNodes?: number;
  };
  /** Measure propagation episodes (heartbeat origin to learn, per observer). @default {false} */
  readonly measureEpisodes?: boolean;
  /** How long after its origin an episode is watched. @default {{ tFail: 1.5 }} */
  readonly episodeHorizon?: DurationSpec;
  /** Timer lateness p99 above this fraction of T_gossip makes a run unfaithful. @default {0.05} */
  readonly faithfulLatenessFraction?: number;
}

/** One fault as written in a scenario. */
export type FaultInput =
  | { readonly kind: "crash"; readonly at: DurationSpec; readonly member: number; readonly recoverAfter?: DurationSpec }
  | { readonly kind: "kill"; readonly at: DurationSpec; readonly member: number; readonly restartAfter?: DurationSpec }
  | { readonly kind: "pause"; readonly at: DurationSpec; readonly member: number; readonly for: DurationSpec }
  | {
    readonly kind: "partition";
    readonly at: DurationSpec;
    readonly shape: PartitionShape;
    /** For `isolate`. */
    readonly member?: number;
    /** For `one-way`. */
    readonly from?: readonly number[];
    /** For `one-way`. */
    readonly to?: readonly number[];
    /** For `groups`. */
    readonly groups?: readonly (readonly number[])[];
    readonly healAfter?: DurationSpec;
  }
  | { readonly kind: "impair"; readonly at: DurationSpec; readonly rule: RuleSpec; readonly for?: DurationSpec };

/** A validated scenario with every default filled and every time in nominal ms. */
export interface Scenario {
  /** Scenario name. */
  readonly name: string;
  /** One line describing the experiment. */
  readonly description: string;
  /** Members, n. */
  readonly members: number;
  /** Bernoulli loss the proxy applies to every link. */
  readonly loss: number;
  /** Run length (nominal ms). */
  readonly durationMs: number;
  /** Nominal seconds per real second. */
  readonly speedup: number;
  /** Seed of every random choice. */
  readonly seed: number;
  /** Worker shards hosting the members. */
  readonly shards: number;
  /** First private member port, or 0 for any free ports. */
  readonly basePort: number;
  /** Crashes by proxy, in nominal ms. */
  readonly crashes: readonly {
    readonly member: number;
    readonly atMs: number;
  }[];
  /** Members black-holed before the start (indices). */
  readonly failedMembers: readonly number[];
  /** The fault schedule, in absolute nominal ms (crashes included). */
  readonly faults: readonly Fault[];
  /** Its compiled actions, sorted, healing everything at `durationMs`. */
  readonly actions: readonly Action[];
  /** Rules installed for the whole run. */
  readonly impairments: readonly RuleSpec[];
  /** Quiet time after the schedule's end (nominal ms); the run lasts durationMs + recoveryMs. */
  readonly recoveryMs: number;
  /** Where members run. */
  readonly hosting: Hosting;
  /** Which detector the members run. */
  readonly detector: DetectorName;
  /** Gossip style of the basic and phi detectors ("push" for the others, which ignore it). */
  readonly dissemination: DisseminationStyle;
  /** Virtual domains and subnets, or null for one subnet. */
  readonly topology:
    | {
      readonly domains: number;
      readonly subnetsPerDomain: number;
      /** Subnet and domain of every member. */
      readonly levels: MemberLevels;
    }
    | null;
  /** Catastrophe recovery, filled, or null when off. */
  readonly catastrophe: {
    readonly meanIntervalSeconds: number;
    readonly exponent: number;
    readonly reportAfterMs: number;
  } | null;
  /** The neighbour-ping detector's settings, filled (null for other detectors). */
  readonly neighbor: NeighborSettings | null;
  /** Phi accrual settings, filled (null unless `detector` is "phi"). */
  readonly phi: Required<PhiOptions> | null;
  /** SWIM's settings, filled (null for the basic detector). */
  readonly swim: SwimSettings | null;
  /** The detector's period: T_gossip (basic) or T' (SWIM); sets the faithfulness limit. */
  readonly periodMs: number;
  /** The silence that ends in a detection: T_fail (basic) or suspicion timeout + 2 T' (SWIM). */
  readonly silenceMs: number;
  /** Explicit shard layout (process hosting puts each paused member alone), or null for even blocks. */
  readonly layout: readonly (readonly number[])[] | null;
  /** Episode measurement window and cutoff (nominal ms), or null when off. */
  readonly episodes: { readonly horizonMs: number; readonly cutoffMs: number } | null;
  /** Lateness p99 above this fraction of the real T_gossip makes the run unfaithful. */
  readonly faithfulLatenessFraction: number;
  /** The detector's derived timings. */
  readonly gossip: GossipConfig;
}

/** A scenario field outside its allowed range, or unknown. */
export class ScenarioError extends RangeError {
  /** Path of the field at fault, e.g. `crashes[0].member`. */
  readonly field: string;
  /**
   * Creates the error.
   * @param field Path of the field at fault, e.g. `crashes[0].member`.
   */
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ScenarioError";
    this.field = field;
  }
}

const duration = z.union([
  z.number().nonnegative().finite(),
  z.strictObject({
    ms: z.number().nonnegative().finite().optional(),
    tGossip: z.number().nonnegative().finite().optional(),
    tFail: z.number().nonnegative().finite().optional(),
  }),
]);

const probability = z.number().min(0).max(1);

const schema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  members: z.number().int().min(2).max(8187).optional(),
  budgetBytesPerSec: z.number().min(8).finite().optional(),
  pMistake: z.number().gt(0).lt(1).optional(),
  modelFailed: z.number().int().min(0).optional(),
  modelLoss: z.number().min(0).lt(1).optional(),
  tFailMs: z.number().positive().finite().optional(),
  tCleanupMs: z.number().positive().finite().optional(),
  loss: probability.optional(),
  duration,
  speedup: z.number().gt(0).max(1000).optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  shards: z.number().int().min(1).max(64).optional(),
  basePort: z.number().int().min(0).max(65535).optional(),
  crashes: z.array(
    z.strictObject({ member: z.number().int().min(0), at: duration }),
  ).optional(),
  faithfulLatenessFraction: z.number().gt(0).max(1).optional(),
  failed: z.number().int().min(0).optional(),
  faults: z.array(z.discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("crash"),
      at: duration,
      member: z.number().int().min(0),
      recoverAfter: duration.optional(),
    }),
    z.strictObject({
      kind: z.literal("kill"),
      at: duration,
      member: z.number().int().min(0),
      restartAfter: duration.optional(),
    }),
    z.strictObject({ kind: z.literal("pause"), at: duration, member: z.number().int().min(0), for: duration }),
    z.strictObject({
      kind: z.literal("partition"),
      at: duration,
      shape: z.enum(PARTITION_SHAPES),
      member: z.number().int().min(0).optional(),
      from: z.array(z.number().int().min(0)).optional(),
      to: z.array(z.number().int().min(0)).optional(),
      groups: z.array(z.array(z.number().int().min(0))).optional(),
      healAfter: duration.optional(),
    }),
    z.strictObject({
      kind: z.literal("impair"),
      at: duration,
      rule: z.record(z.string(), z.unknown()),
      for: duration.optional(),
    }),
  ])).optional(),
  impairments: z.array(z.record(z.string(), z.unknown())).optional(),
  recovery: duration.optional(),
  hosting: z.enum(["workers", "processes"]).optional(),
  detector: z.enum(DETECTOR_NAMES).optional(),
  dissemination: z.enum(DISSEMINATION_STYLES).optional(),
  topology: z.strictObject({
    domains: z.number().int().min(1).optional(),
    subnetsPerDomain: z.number().int().min(1).optional(),
  }).optional(),
  catastrophe: z.strictObject({
    meanIntervalSeconds: z.number().gt(1).lt(20).optional(),
    exponent: z.number().positive().finite().optional(),
    reportAfter: duration.optional(),
  }).optional(),
  neighbor: z.strictObject({
    pingIntervalMs: z.number().positive().finite().optional(),
    pingTimeoutMs: z.number().positive().finite().optional(),
    missesToSuspect: z.number().int().min(1).max(1000).optional(),
    neighborsPerSide: z.number().int().min(1).max(16).optional(),
    quorum: z.number().int().min(1).max(32).optional(),
    noticeIntervalMs: z.number().positive().finite().optional(),
    membershipIntervalMs: z.number().positive().finite().optional(),
  }).optional(),
  phi: z.strictObject({
    threshold: z.number().gt(0).finite().optional(),
    window: z.number().int().min(2).max(10_000).optional(),
    minStdDevMs: z.number().positive().finite().optional(),
    minSamples: z.number().int().min(2).optional(),
    acceptablePauseMs: z.number().min(0).finite().optional(),
  }).optional(),
  swim: z.strictObject({
    protocolPeriodMs: z.number().positive().finite().optional(),
    pingTimeoutMs: z.number().positive().finite().optional(),
    indirectChecks: z.number().int().min(0).max(64).optional(),
    suspicionMult: z.number().gt(0).finite().optional(),
    lifeguard: z.boolean().optional(),
    gossipIntervalMs: z.number().positive().finite().optional(),
    gossipNodes: z.number().int().min(1).max(64).optional(),
  }).optional(),
  measureEpisodes: z.boolean().optional(),
  episodeHorizon: duration.optional(),
});

function describeIssue(
  issue: z.core.$ZodIssue,
): { field: string; message: string } {
  const field = issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`)
    .join("").replace(/^\./, "") ||
    "(scenario)";
  switch (issue.code) {
    case "unrecognized_keys":
      return {
        field: issue.keys.map((
          k,
        ) => (field === "(scenario)" ? k : `${field}.${k}`)).join(", "),
        message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`,
      };
    case "too_small":
      return {
        field,
        message: `'${field}' must be ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`,
      };
    case "too_big":
      return {
        field,
        message: `'${field}' must be ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`,
      };
    default:
      return { field, message: `'${field}': ${issue.message}` };
  }
}

function resolveDuration(spec: DurationSpec, gossip: GossipConfig): number {
  if (typeof spec === "number") return spec;
  return (spec.ms ?? 0) + (spec.tGossip ?? 0) * gossip.tGossipMs +
    (spec.tFail ?? 0) * gossip.tFailMs;
}

/**
 * Validates a scenario and derives everything a run needs. Throws
 * {@linkcode ScenarioError} naming the first bad field and its allowed range.
 */
export function resolveScenario(input: unknown): Scenario {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const first = describeIssue(parsed.error.issues[0]!);
    const actual = lookup(input, parsed.error.issues[0]!.path);
    const suffix = actual === undefined ||
        parsed.error.issues[0]!.code === "unrecognized_keys"
      ? ""
      : `: current value is ${JSON.stringify(actual)}`;
    throw new ScenarioError(
      first.field,
      `Invalid scenario: ${first.message}${suffix}`,
    );
  }
  const s = parsed.data;
  const members = s.members ?? 50;
  let gossip: GossipConfig;
  try {
    gossip = deriveGossipConfig({
      members,
      ...(s.budgetBytesPerSec !== undefined ? { budgetBytesPerSec: s.budgetBytesPerSec } : {}),
      ...(s.pMistake !== undefined ? { pMistake: s.pMistake } : {}),
      ...(s.modelFailed !== undefined ? { modelFailed: s.modelFailed } : {}),
      ...(s.modelLoss !== undefined ? { modelLoss: s.modelLoss } : {}),
      ...(s.tFailMs !== undefined ? { tFailMs: s.tFailMs } : {}),
      ...(s.tCleanupMs !== undefined ? { tCleanupMs: s.tCleanupMs } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ScenarioError(
        error.field,
        `Invalid scenario: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  const durationMs = resolveDuration(s.duration, gossip);
  if (!(durationMs > 0)) {
    throw new ScenarioError(
      "duration",
      `Invalid scenario: 'duration' must be > 0: current value is ${durationMs} ms`,
    );
  }
  const crashes = (s.crashes ?? []).map((c, i) => {
    if (c.member >= members) {
      throw new ScenarioError(
        `crashes[${i}].member`,
        `Invalid scenario: 'crashes[${i}].member' must be a member index in [0, ${
          members - 1
        }]: current value is ${c.member}`,
      );
    }
    const atMs = resolveDuration(c.at, gossip);
    if (atMs >= durationMs) {
      throw new ScenarioError(
        `crashes[${i}].at`,
        `Invalid scenario: 'crashes[${i}].at' (${atMs} ms) must be before the end of the run (${durationMs} ms)`,
      );
    }
    return { member: c.member, atMs };
  });
  const crashed = new Set<number>();
  crashes.forEach((c, i) => {
    if (crashed.has(c.member)) {
      throw new ScenarioError(
        `crashes[${i}].member`,
        `Invalid scenario: member ${c.member} is crashed twice`,
      );
    }
    crashed.add(c.member);
  });
  const failed = s.failed ?? 0;
  if (failed > members - 2) {
    throw new ScenarioError(
      "failed",
      `Invalid scenario: 'failed' must be in [0, members - 2] = [0, ${members - 2}]: current value is ${failed}`,
    );
  }
  const failedMembers = Array.from({ length: failed }, (_, i) => members - failed + i);
  crashes.forEach((c, i) => {
    if (c.member >= members - failed) {
      throw new ScenarioError(
        `crashes[${i}].member`,
        `Invalid scenario: member ${c.member} is one of the ${failed} failed from the start`,
      );
    }
  });
  if (crashed.size + failed > members - 2) {
    throw new ScenarioError(
      "crashes",
      `Invalid scenario: at most ${members - 2} of ${members} members may crash or fail`,
    );
  }
  let episodes: Scenario["episodes"] = null;
  if (s.measureEpisodes) {
    if (crashes.length > 0) {
      throw new ScenarioError(
        "measureEpisodes",
        "Invalid scenario: episode measurement supports members failed from the start ('failed'), not crashes during the run",
      );
    }
    const horizonMs = resolveDuration(s.episodeHorizon ?? { tFail: 1.5 }, gossip);
    const cutoffMs = durationMs - horizonMs - 2 * gossip.tGossipMs;
    if (!(horizonMs > 0) || cutoffMs <= 0) {
      throw new ScenarioError(
        "duration",
        `Invalid scenario: 'duration' (${durationMs} ms) must exceed the episode horizon (${horizonMs} ms) plus two gossip periods`,
      );
    }
    episodes = { horizonMs, cutoffMs };
  }
  const faults: Fault[] = crashes.map((c) => ({ kind: "crash", atMs: c.atMs, member: c.member }));
  (s.faults ?? []).forEach((f, i) => {
    const at = resolveDuration(f.at, gossip);
    const after = (d: DurationSpec | undefined) => (d === undefined ? undefined : at + resolveDuration(d, gossip));
    switch (f.kind) {
      case "crash": {
        const recoverAtMs = after(f.recoverAfter);
        faults.push({
          kind: "crash",
          atMs: at,
          member: f.member,
          ...(recoverAtMs !== undefined ? { recoverAtMs } : {}),
        });
        return;
      }
      case "kill": {
        const restartAtMs = after(f.restartAfter);
        faults.push({
          kind: "kill",
          atMs: at,
          member: f.member,
          ...(restartAtMs !== undefined ? { restartAtMs } : {}),
        });
        return;
      }
      case "pause":
        faults.push({ kind: "pause", atMs: at, member: f.member, resumeAtMs: after(f.for)! });
        return;
      case "partition": {
        const partition = partitionSpecOf(f as Extract<FaultInput, { kind: "partition" }>, i);
        const healAtMs = after(f.healAfter);
        faults.push({ kind: "partition", atMs: at, partition, ...(healAtMs !== undefined ? { healAtMs } : {}) });
        return;
      }
      case "impair": {
        const rule = checkRule(f.rule, members, `faults[${i}].rule`);
        const untilMs = after(f.for);
        faults.push({ kind: "impair", atMs: at, rule, ...(untilMs !== undefined ? { untilMs } : {}) });
        return;
      }
    }
  });
  for (const m of failedMembers) {
    const clash = faults.findIndex((f) => "member" in f && f.member === m);
    if (clash >= 0 && (s.faults?.length ?? 0) > 0) {
      throw new ScenarioError(`faults`, `Invalid scenario: a fault names member ${m}, which failed from the start`);
    }
  }
  if (s.measureEpisodes && faults.length > 0) {
    throw new ScenarioError(
      "measureEpisodes",
      "Invalid scenario: episode measurement supports members failed from the start ('failed'), not crashes during the run",
    );
  }
  let actions: Action[];
  try {
    actions = compileSchedule(faults, members, durationMs);
  } catch (error) {
    if (error instanceof ScheduleError) {
      // Crashes given as 'crashes[i]' come first in the list.
      const field = error.field.replace(/^faults\[(\d+)\]/, (_, k) => {
        const idx = Number(k);
        return idx < crashes.length ? `crashes[${idx}]` : `faults[${idx - crashes.length}]`;
      });
      const message = error.message.replace(/faults\[(\d+)\]/g, (_, k) => {
        const idx = Number(k);
        return idx < crashes.length ? `crashes[${idx}]` : `faults[${idx - crashes.length}]`;
      });
      throw new ScenarioError(field, `Invalid scenario: ${message}`, { cause: error });
    }
    throw error;
  }
  const impairments = (s.impairments ?? []).map((r, i) => checkRule(r, members, `impairments[${i}]`));
  const ids = new Set<string>();
  impairments.forEach((r, i) => {
    if (ids.has(r.id)) {
      throw new ScenarioError(`impairments[${i}].id`, `Invalid scenario: rule id '${r.id}' is used twice`);
    }
    ids.add(r.id);
  });
  const recoveryMs = resolveDuration(s.recovery ?? (faults.length > 0 ? { tGossip: 5 } : 0), gossip);
  const detector = s.detector ?? "basic";
  if (detector !== "swim" && s.swim) {
    throw new ScenarioError("swim", "Invalid scenario: 'swim' settings need detector: \"swim\"");
  }
  if (detector !== "neighbor" && s.neighbor) {
    throw new ScenarioError(
      "neighbor",
      `Invalid scenario: 'neighbor' settings need detector: "neighbor" (not "${detector}")`,
    );
  }
  const gossiping = detector === "basic" || detector === "phi";
  for (const field of ["dissemination", "catastrophe"] as const) {
    if (s[field] !== undefined && !gossiping) {
      throw new ScenarioError(
        field,
        `Invalid scenario: '${field}' is a setting of the basic and phi detectors' gossip, not of detector "${detector}"`,
      );
    }
  }
  let topology: Scenario["topology"] = null;
  if (s.topology) {
    const domains = s.topology.domains ?? 1;
    const subnetsPerDomain = s.topology.subnetsPerDomain ?? 1;
    const subnets = domains * subnetsPerDomain;
    if (subnets > members) {
      throw new ScenarioError(
        "topology.subnetsPerDomain",
        `Invalid scenario: 'topology' asks for ${subnets} subnets (domains x subnetsPerDomain) but there are only ${members} members`,
      );
    }
    // Consecutive indices, sizes differing by at most one.
    const subnet = Array.from({ length: members }, (_, i) => Math.floor((i * subnets) / members));
    topology = {
      domains,
      subnetsPerDomain,
      levels: { subnet, domain: subnet.map((k) => Math.floor(k / subnetsPerDomain)) },
    };
  }
  let catastrophe: Scenario["catastrophe"] = null;
  if (s.catastrophe) {
    const meanIntervalSeconds = s.catastrophe.meanIntervalSeconds ?? 10;
    // a is chosen for the broadcast domain: one subnet.
    const subnetSize = topology ? Math.ceil(members / (topology.domains * topology.subnetsPerDomain)) : members;
    const exponent = s.catastrophe.exponent ?? broadcastExponentFor(subnetSize, meanIntervalSeconds);
    const reportAfterMs = resolveDuration(s.catastrophe.reportAfter ?? { tFail: 1 }, gossip);
    if (!(reportAfterMs >= gossip.tFailMs && reportAfterMs <= gossip.tCleanupMs)) {
      throw new ScenarioError(
        "catastrophe.reportAfter",
        `Invalid scenario: 'catastrophe.reportAfter' must be between T_fail (${gossip.tFailMs} ms) and T_cleanup (${gossip.tCleanupMs} ms): current value is ${reportAfterMs} ms`,
      );
    }
    catastrophe = { meanIntervalSeconds, exponent, reportAfterMs };
  }
  let neighbor: NeighborSettings | null = null;
  if (detector === "neighbor") {
    const n = s.neighbor ?? {};
    const d = NEIGHBOR_DEFAULTS;
    const pingIntervalMs = n.pingIntervalMs ?? d.pingIntervalMs;
    neighbor = {
      pingIntervalMs,
      pingTimeoutMs: n.pingTimeoutMs ?? Math.min(500, pingIntervalMs / 2),
      missesToSuspect: n.missesToSuspect ?? d.missesToSuspect,
      neighborsPerSide: n.neighborsPerSide ?? d.neighborsPerSide,
      quorum: n.quorum ?? d.quorum,
      noticeIntervalMs: n.noticeIntervalMs ?? d.noticeIntervalMs,
      // Half the budget's period: membership lists then cost about B/2, the pings the rest.
      membershipIntervalMs: n.membershipIntervalMs ?? 2 * gossip.tGossipMs,
    };
    if (!(neighbor.pingTimeoutMs < neighbor.pingIntervalMs)) {
      throw new ScenarioError(
        "neighbor.pingTimeoutMs",
        `Invalid scenario: detector "neighbor": 'neighbor.pingTimeoutMs' must be below 'neighbor.pingIntervalMs' (${neighbor.pingIntervalMs}): current value is ${neighbor.pingTimeoutMs}`,
      );
    }
    if (neighbor.quorum > 2 * neighbor.neighborsPerSide) {
      throw new ScenarioError(
        "neighbor.quorum",
        `Invalid scenario: detector "neighbor": 'neighbor.quorum' must be <= 2 * 'neighbor.neighborsPerSide' (${
          2 * neighbor.neighborsPerSide
        } pingers): current value is ${neighbor.quorum}`,
      );
    }
    if (s.measureEpisodes) {
      throw new ScenarioError(
        "measureEpisodes",
        "Invalid scenario: episode measurement is for the basic and phi detectors",
      );
    }
  }
  if (detector !== "phi" && s.phi) {
    throw new ScenarioError("phi", "Invalid scenario: 'phi' settings need detector: \"phi\"");
  }
  const phi: Required<PhiOptions> | null = detector === "phi"
    ? {
      threshold: s.phi?.threshold ?? 8,
      window: s.phi?.window ?? 100,
      minStdDevMs: s.phi?.minStdDevMs ?? gossip.tGossipMs,
      minSamples: s.phi?.minSamples ?? 5,
      acceptablePauseMs: s.phi?.acceptablePauseMs ?? 3 * gossip.tGossipMs,
    }
    : null;
  if (phi && phi.minSamples > phi.window) {
    throw new ScenarioError(
      "phi.minSamples",
      `Invalid scenario: 'phi.minSamples' must be <= 'phi.window' (${phi.window})`,
    );
  }
  let swim: SwimSettings | null = null;
  if (detector === "swim") {
    const protocolPeriodMs = s.swim?.protocolPeriodMs ?? 1000;
    const pingTimeoutMs = s.swim?.pingTimeoutMs ?? Math.min(500, protocolPeriodMs / 2);
    if (!(pingTimeoutMs < protocolPeriodMs)) {
      throw new ScenarioError(
        "swim.pingTimeoutMs",
        `Invalid scenario: 'swim.pingTimeoutMs' must be below 'swim.protocolPeriodMs' (${protocolPeriodMs}): current value is ${pingTimeoutMs}`,
      );
    }
    swim = {
      protocolPeriodMs,
      pingTimeoutMs,
      indirectChecks: s.swim?.indirectChecks ?? 3,
      suspicionTimeoutMs: (s.swim?.suspicionMult ?? 4) * Math.max(1, Math.log10(members)) * protocolPeriodMs,
      lifeguard: s.swim?.lifeguard ?? false,
      gossipIntervalMs: s.swim?.gossipIntervalMs ?? null,
      gossipNodes: s.swim?.gossipNodes ?? 3,
    };
    if (s.measureEpisodes) {
      throw new ScenarioError("measureEpisodes", "Invalid scenario: episode measurement is for the basic detector");
    }
  }
  const periodMs = swim ? swim.protocolPeriodMs : neighbor ? neighbor.pingIntervalMs : gossip.tGossipMs;
  const silenceMs = swim
    ? swim.suspicionTimeoutMs + 2 * swim.protocolPeriodMs
    : neighbor
    ? (neighbor.missesToSuspect + 2) * neighbor.pingIntervalMs
    : catastrophe
    ? catastrophe.reportAfterMs
    : gossip.tFailMs;
  const hosting = s.hosting ?? "workers";
  let layout: number[][] | null = null;
  if (hosting === "processes") {
    const alone = [...new Set(faults.filter((f) => f.kind === "pause").map((f) => (f as { member: number }).member))];
    const rest = Array.from({ length: members }, (_, i) => i).filter((i) => !alone.includes(i));
    const blocks = Math.max(1, Math.min(s.shards ?? 2, rest.length));
    const per = Math.ceil(rest.length / blocks);
    layout = [
      ...Array.from({ length: blocks }, (_, b) => rest.slice(b * per, (b + 1) * per)).filter((l) => l.length > 0),
      ...alone.map((m) => [m]),
    ];
  }
  const basePort = s.basePort ?? 0;
  if (basePort > 0 && basePort + members - 1 > 65535) {
    throw new ScenarioError(
      "basePort",
      `Invalid scenario: 'basePort' + members - 1 must be <= 65535: current value is ${basePort}`,
    );
  }
  return {
    name: s.name,
    description: s.description ?? "",
    members,
    loss: s.loss ?? 0,
    durationMs,
    speedup: s.speedup ?? 1,
    seed: s.seed ?? 1,
    shards: s.shards ?? 2,
    basePort,
    crashes,
    failedMembers,
    faults,
    actions,
    impairments,
    recoveryMs,
    hosting,
    layout,
    detector,
    dissemination: gossiping ? s.dissemination ?? "push" : "push",
    topology,
    catastrophe,
    neighbor,
    swim,
    phi,
    periodMs,
    silenceMs,
    episodes,
    faithfulLatenessFraction: s.faithfulLatenessFraction ?? 0.05,
    gossip,
  };
}

function checkRule(raw: unknown, members: number, path: string): RuleSpec {
  try {
    new Rule(raw as RuleSpec, members, 0);
    return raw as RuleSpec;
  } catch (error) {
    if (error instanceof ImpairmentError) {
      const field = error.field === "id" || error.field === "kind" ? error.field : error.field.replace(/^[^.]*\./, "");
      throw new ScenarioError(
        `${path}.${error.field === "kind" ? "impairment.kind" : field}`,
        `Invalid scenario: ${path}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function partitionSpecOf(f: Extract<FaultInput, { kind: "partition" }>, i: number): PartitionSpec {
  const need = (field: "member" | "from" | "to" | "groups") => {
    if (f[field] === undefined) {
      throw new ScenarioError(
        `faults[${i}].${field}`,
        `Invalid scenario: faults[${i}] (partition '${f.shape}') needs '${field}'`,
      );
    }
  };
  switch (f.shape) {
    case "isolate":
      need("member");
      return { shape: "isolate", member: f.member! };
    case "one-way":
      need("from");
      need("to");
      return { shape: "one-way", from: f.from!, to: f.to! };
    case "groups":
      need("groups");
      return { shape: "groups", groups: f.groups! };
    default:
      return { shape: f.shape };
  }
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}
