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
import { ConfigError, deriveGossipConfig, type GossipConfig } from "../lib/config.ts";

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
  /** Measure propagation episodes (heartbeat origin to learn, per observer). @default {false} */
  readonly measureEpisodes?: boolean;
  /** How long after its origin an episode is watched. @default {{ tFail: 1.5 }} */
  readonly episodeHorizon?: DurationSpec;
  /** Timer lateness p99 above this fraction of T_gossip makes a run unfaithful. @default {0.05} */
  readonly faithfulLatenessFraction?: number;
}

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
    episodes,
    faithfulLatenessFraction: s.faithfulLatenessFraction ?? 0.05,
    gossip,
  };
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}
