/**
 * Scenarios: declarative experiments. A scenario file under `scenarios/`
 * exports a {@linkcode ScenarioInput} (`schema.ts`); the CLI's flags
 * override its fields; {@linkcode resolveScenario} validates the result
 * against the schema and the group (errors name the field, its allowed
 * range and the value given) and derives every timing the run needs.
 *
 * @module
 */

import { deriveGossipConfig, type GossipConfig } from "../../lib/basic/config.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import type { KindContext } from "../../lib/core/kind.ts";
import { parseOrThrow } from "../../lib/core/_validation.ts";
import { broadcastExponentFor } from "../../lib/model/catastrophe.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import type { Action, Fault } from "../faults/schedule.ts";
import type { Hosting } from "../hosting/shard_fleet.ts";
import type { MemberLevels } from "../hosting/shard_protocol.ts";
import { type DetectorName, kindOf, settingsFields } from "../members/registry.ts";
import { ScenarioError } from "./errors.ts";
import { canonicalFaults, checkRule, compileFaults, resolveDuration } from "./faults.ts";
import { type ParsedScenario, scenarioSchema } from "./schema.ts";

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
  /** Which bytes the budget verdict counts. */
  readonly budgetAccounting: "entries" | "payload" | "wire";
  /** Run length (nominal ms). */
  readonly durationMs: number;
  /** Nominal seconds per real second. */
  readonly speedup: number;
  /** Seed of every random choice. */
  readonly seed: number;
  /** Shards hosting the members. */
  readonly shards: number;
  /** First private member port, or 0 for any free ports. */
  readonly basePort: number;
  /** The crash faults (member and time), in nominal ms. */
  readonly crashes: readonly { readonly member: number; readonly atMs: number }[];
  /** Members black-holed before the start (indices). */
  readonly failedMembers: readonly number[];
  /** The fault schedule in canonical form, absolute nominal ms. */
  readonly faults: readonly Fault[];
  /** Its compiled actions, sorted, healing everything at `durationMs`. */
  readonly actions: readonly Action[];
  /** Rules installed for the whole run. */
  readonly impairments: readonly RuleSpec[];
  /** Quiet time after the schedule's end (nominal ms); the run lasts durationMs + recoveryMs. */
  readonly recoveryMs: number;
  /** Where harness-hosted members run. */
  readonly hosting: Hosting;
  /** The member kind (registry name). */
  readonly detector: DetectorName;
  /** The kind's resolved settings. */
  readonly settings: unknown;
  /** Gossip style of the gossip kinds ("push" for the others, which ignore it). */
  readonly dissemination: string;
  /** Virtual domains and subnets, or null for one subnet. */
  readonly topology: {
    readonly domains: number;
    readonly subnetsPerDomain: number;
    /** Subnet and domain of every member. */
    readonly levels: MemberLevels;
  } | null;
  /** Catastrophe recovery, filled, or null when off. */
  readonly catastrophe: {
    readonly meanIntervalSeconds: number;
    readonly exponent: number;
    readonly reportAfterMs: number;
  } | null;
  /** The kind's period (T_gossip, T', the ping period): what lateness is judged against. */
  readonly periodMs: number;
  /** The silence that ends in a detection: attributes a detection to a fault. */
  readonly silenceMs: number;
  /** Episode measurement window and cutoff (nominal ms), or null when off. */
  readonly episodes: { readonly horizonMs: number; readonly cutoffMs: number } | null;
  /** Lateness p99 above this fraction of the real period makes the run unfaithful. */
  readonly faithfulLatenessFraction: number;
  /** The paper's derived timings for the scenario's budget and target. */
  readonly gossip: GossipConfig;
}

function derive(s: ParsedScenario): GossipConfig {
  try {
    return deriveGossipConfig({
      members: s.members,
      budgetBytesPerSec: s.budgetBytesPerSec,
      pMistake: s.pMistake,
      modelFailed: s.modelFailed,
      modelLoss: s.modelLoss,
      ...(s.tFailMs !== undefined ? { tFailMs: s.tFailMs } : {}),
      ...(s.tCleanupMs !== undefined ? { tCleanupMs: s.tCleanupMs } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw ScenarioError.from(error, "");
    throw error;
  }
}

function checkMembers(s: ParsedScenario, faults: readonly Fault[], failedMembers: readonly number[]): void {
  const n = s.members;
  if (s.failed > n - 2) {
    throw new ScenarioError(
      "failed",
      `'failed' must be in [0, members - 2] = [0, ${n - 2}]: current value is ${s.failed}`,
    );
  }
  const crashed = new Set<number>();
  for (const f of faults) {
    if (!("member" in f) || f.member === undefined) continue;
    if (f.member >= n) {
      throw new ScenarioError(
        `${f.path}.member`,
        `'${f.path}.member' names member ${f.member}, which does not exist: it must be in [0, ${n - 1}]`,
      );
    }
    if (failedMembers.includes(f.member)) {
      throw new ScenarioError(`${f.path}.member`, `member ${f.member} is one of the ${s.failed} failed from the start`);
    }
    if (f.kind === "crash" && f.path?.startsWith("crashes")) {
      if (crashed.has(f.member)) throw new ScenarioError(`${f.path}.member`, `member ${f.member} is crashed twice`);
      crashed.add(f.member);
    }
  }
  if (crashed.size + s.failed > n - 2) {
    throw new ScenarioError("crashes", `at most ${n - 2} of ${n} members may crash or fail`);
  }
}

function topologyOf(s: ParsedScenario): Scenario["topology"] {
  if (!s.topology) return null;
  const { domains, subnetsPerDomain } = s.topology;
  const subnets = domains * subnetsPerDomain;
  if (subnets > s.members) {
    throw new ScenarioError(
      "topology.subnetsPerDomain",
      `'topology' asks for ${subnets} subnets (domains x subnetsPerDomain) but there are only ${s.members} members`,
    );
  }
  // Consecutive indices, sizes differing by at most one.
  const subnet = Array.from({ length: s.members }, (_, i) => Math.floor((i * subnets) / s.members));
  return { domains, subnetsPerDomain, levels: { subnet, domain: subnet.map((k) => Math.floor(k / subnetsPerDomain)) } };
}

function catastropheOf(
  s: ParsedScenario,
  gossip: GossipConfig,
  topology: Scenario["topology"],
): Scenario["catastrophe"] {
  if (!s.catastrophe) return null;
  const { meanIntervalSeconds } = s.catastrophe;
  // a is chosen for the broadcast domain: one subnet.
  const subnetSize = topology ? Math.ceil(s.members / (topology.domains * topology.subnetsPerDomain)) : s.members;
  const exponent = s.catastrophe.exponent ?? broadcastExponentFor(subnetSize, meanIntervalSeconds);
  const reportAfterMs = resolveDuration(s.catastrophe.reportAfter ?? { tFail: 1 }, gossip);
  if (!(reportAfterMs >= gossip.tFailMs && reportAfterMs <= gossip.tCleanupMs)) {
    throw new ScenarioError(
      "catastrophe.reportAfter",
      `'catastrophe.reportAfter' must be between T_fail (${gossip.tFailMs} ms) and T_cleanup (${gossip.tCleanupMs} ms): current value is ${reportAfterMs} ms`,
    );
  }
  return { meanIntervalSeconds, exponent, reportAfterMs };
}

/**
 * Validates a scenario and derives everything a run needs. Throws
 * {@linkcode ScenarioError} naming the first bad field and its allowed range.
 */
export function resolveScenario(input: unknown): Scenario {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ScenarioError(
      "",
      `a scenario must be a JSON object with at least 'name' and 'duration': current value is ${
        input === null ? "null" : Array.isArray(input) ? "an array" : typeof input
      }`,
    );
  }
  const s = parseOrThrow(scenarioSchema, input, { make: (field, message) => new ScenarioError(field, message) });
  const gossip = derive(s);
  const durationMs = resolveDuration(s.duration, gossip);
  if (!(durationMs > 0)) {
    throw new ScenarioError("duration", `'duration' must be > 0: current value is ${durationMs} ms`);
  }
  const kind = kindOf(s.detector);
  for (const { key, kind: other } of settingsFields()) {
    if ((s as Record<string, unknown>)[key] !== undefined && other !== kind) {
      throw new ScenarioError(key, `'${key}' settings need detector: "${other.name}" (not "${s.detector}")`);
    }
  }
  if (!kind.gossipOptions) {
    for (const field of ["dissemination", "catastrophe"] as const) {
      if (s[field] !== undefined) {
        throw new ScenarioError(
          field,
          `'${field}' is a setting of the basic and phi detectors' gossip, not of detector "${s.detector}"`,
        );
      }
    }
  }
  if (!kind.timeCompressible && s.speedup !== 1) {
    throw new ScenarioError(
      "speedup",
      `'speedup' must be 1 for detector "${s.detector}" (real programs run in real time): current value is ${s.speedup}`,
    );
  }
  if (kind.create === undefined && s.failed > 0) {
    throw new ScenarioError(
      "failed",
      `'failed' must be 0 for detector "${s.detector}": a real program black-holed before the start cannot join ` +
        `(crash it at a time instead): current value is ${s.failed}`,
    );
  }
  const failedMembers = Array.from({ length: Math.min(s.failed, s.members) }, (_, i) => s.members - s.failed + i);
  const faults = canonicalFaults(s, gossip);
  checkMembers(s, faults, failedMembers);
  for (const f of faults) {
    if (f.atMs >= durationMs && f.path?.startsWith("crashes")) {
      throw new ScenarioError(
        `${f.path}.at`,
        `'${f.path}.at' (${f.atMs} ms) must be before the end of the run (${durationMs} ms)`,
      );
    }
  }
  const impairments = s.impairments.map((r, i) => checkRule(r, s.members, `impairments[${i}]`));
  const actions = compileFaults(faults, impairments, s.members, durationMs);
  let episodes: Scenario["episodes"] = null;
  if (s.measureEpisodes) {
    if (!kind.episodes) {
      throw new ScenarioError(
        "measureEpisodes",
        `episode measurement is for the basic and phi detectors, not "${s.detector}"`,
      );
    }
    if (faults.length > 0) {
      throw new ScenarioError(
        "measureEpisodes",
        "episode measurement supports members failed from the start ('failed'), not crashes during the run",
      );
    }
    const horizonMs = resolveDuration(s.episodeHorizon ?? { tFail: 1.5 }, gossip);
    const cutoffMs = durationMs - horizonMs - 2 * gossip.tGossipMs;
    if (!(horizonMs > 0) || cutoffMs <= 0) {
      throw new ScenarioError(
        "duration",
        `'duration' (${durationMs} ms) must exceed the episode horizon (${horizonMs} ms) plus two gossip periods`,
      );
    }
    episodes = { horizonMs, cutoffMs };
  }
  const topology = topologyOf(s);
  const catastrophe = catastropheOf(s, gossip, topology);
  const dissemination = s.dissemination ?? "push";
  const ctx: KindContext = {
    members: s.members,
    gossip,
    dissemination,
    catastrophe: catastrophe ? { exponent: catastrophe.exponent, reportAfterMs: catastrophe.reportAfterMs } : null,
  };
  let settings: unknown;
  try {
    settings = kind.resolve(kind.settingsKey ? (s as Record<string, unknown>)[kind.settingsKey] : undefined, ctx);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw ScenarioError.from(error, kind.settingsKey ?? "", `detector "${kind.name}": `);
    }
    throw error;
  }
  const periodMs = kind.periodMs(settings, ctx);
  if (s.basePort > 0 && s.basePort + 2 * s.members + (catastrophe ? 1 : 0) - 1 > 65535) {
    throw new ScenarioError(
      "basePort",
      `'basePort' + 2 * members${
        catastrophe ? " + 1" : ""
      } - 1 must be <= 65535 (members use basePort.., the proxy the next ports): current value is ${s.basePort}`,
    );
  }
  return {
    name: s.name,
    description: s.description,
    members: s.members,
    loss: s.loss,
    budgetAccounting: s.budgetAccounting,
    durationMs,
    speedup: s.speedup,
    seed: s.seed,
    shards: s.shards,
    basePort: s.basePort,
    crashes: faults.filter((f) => f.kind === "crash").map((f) => ({ member: f.member, atMs: f.atMs })),
    failedMembers,
    // The paths were for errors; the resolved schedule is plain data.
    faults: faults.map(({ path: _path, ...f }) => f as Fault),
    actions,
    impairments,
    // Five of the kind's own periods (T_gossip, T', the ping period) after the last heal, when not given.
    recoveryMs: s.recovery !== undefined ? resolveDuration(s.recovery, gossip) : faults.length > 0 ? 5 * periodMs : 0,
    hosting: s.hosting,
    detector: s.detector,
    settings,
    dissemination: kind.gossipOptions ? dissemination : "push",
    topology,
    catastrophe,
    periodMs,
    silenceMs: kind.silenceMs(settings, ctx),
    episodes,
    faithfulLatenessFraction: s.faithfulLatenessFraction,
    gossip,
  };
}

/** The kind context of a resolved scenario (for describing and modelling its settings). */
export function kindContext(sc: Scenario): KindContext {
  return {
    members: sc.members,
    gossip: sc.gossip,
    dissemination: sc.dissemination,
    catastrophe: sc.catastrophe
      ? { exponent: sc.catastrophe.exponent, reportAfterMs: sc.catastrophe.reportAfterMs }
      : null,
  };
}
