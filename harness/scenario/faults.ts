/**
 * A scenario's faults in their one canonical form: `crashes` (sugar for
 * crash faults without recovery) and `faults` become {@linkcode Fault}s in
 * absolute nominal ms, each remembering where it was written, and are
 * compiled into the run's actions.
 *
 * @module
 */

import { ConfigError } from "../../lib/core/errors.ts";
import type { GossipConfig } from "../../lib/basic/config.ts";
import { checkRuleMembers, type RuleSpec } from "../faults/impairments/rule.ts";
import { type Action, compileSchedule, type Fault, type PartitionSpec } from "../faults/schedule.ts";
import { DEFAULT_LOSS_RULE } from "../faults/state.ts";
import { ScenarioError } from "./errors.ts";
import type { DurationSpec, FaultInput, ParsedScenario } from "./schema.ts";

/** Nominal ms of a duration spec. */
export function resolveDuration(spec: DurationSpec, gossip: GossipConfig): number {
  if (typeof spec === "number") return spec;
  return (spec.ms ?? 0) + (spec.tGossip ?? 0) * gossip.tGossipMs + (spec.tFail ?? 0) * gossip.tFailMs;
}

function partitionSpecOf(f: Extract<FaultInput, { kind: "partition" }>, path: string): PartitionSpec {
  const need = <K extends "member" | "from" | "to" | "groups">(field: K): NonNullable<(typeof f)[K]> => {
    if (f[field] === undefined) {
      throw new ScenarioError(`${path}.${field}`, `${path} (partition '${f.shape}') needs '${field}'`);
    }
    return f[field]!;
  };
  switch (f.shape) {
    case "isolate":
      return { shape: "isolate", member: need("member") };
    case "one-way":
      return { shape: "one-way", from: need("from"), to: need("to") };
    case "groups":
      return { shape: "groups", groups: need("groups") };
    default:
      return { shape: f.shape };
  }
}

/** Checks a rule against the group; errors name `path`. */
export function checkRule(rule: RuleSpec, members: number, path: string): RuleSpec {
  try {
    checkRuleMembers(rule, members);
  } catch (error) {
    if (error instanceof ConfigError) throw ScenarioError.from(error, path);
    throw error;
  }
  return rule;
}

/** Every fault in canonical form, sugar included (crashes first, as written). */
export function canonicalFaults(s: ParsedScenario, gossip: GossipConfig): Fault[] {
  const faults: Fault[] = s.crashes.map((c, i) => ({
    kind: "crash",
    atMs: resolveDuration(c.at, gossip),
    member: c.member,
    path: `crashes[${i}]`,
  }));
  s.faults.forEach((f, i) => {
    const path = `faults[${i}]`;
    const at = resolveDuration(f.at, gossip);
    const after = (d: DurationSpec | undefined) => (d === undefined ? undefined : at + resolveDuration(d, gossip));
    switch (f.kind) {
      case "crash": {
        const recoverAtMs = after(f.recoverAfter);
        faults.push({
          kind: "crash",
          atMs: at,
          member: f.member,
          path,
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
          path,
          ...(restartAtMs !== undefined ? { restartAtMs } : {}),
        });
        return;
      }
      case "pause":
        faults.push({ kind: "pause", atMs: at, member: f.member, resumeAtMs: after(f.for)!, path });
        return;
      case "slow":
        faults.push({
          kind: "slow",
          atMs: at,
          member: f.member,
          untilMs: after(f.for)!,
          intervalMs: resolveDuration(f.interval, gossip),
          stoppedFraction: f.stoppedFraction,
          path,
        });
        return;
      case "partition": {
        const partition = partitionSpecOf(f, path);
        const healAtMs = after(f.healAfter);
        faults.push({ kind: "partition", atMs: at, partition, path, ...(healAtMs !== undefined ? { healAtMs } : {}) });
        return;
      }
      case "impair": {
        const rule = checkRule(f.rule, s.members, `${path}.rule`);
        const untilMs = after(f.for);
        faults.push({ kind: "impair", atMs: at, rule, path, ...(untilMs !== undefined ? { untilMs } : {}) });
        return;
      }
    }
  });
  return faults;
}

/** Checks rule ids against each other and compiles the schedule; errors name the fault's path. */
export function compileFaults(
  faults: readonly Fault[],
  impairments: readonly RuleSpec[],
  members: number,
  endMs: number,
): Action[] {
  const wholeRun = new Map<string, number>();
  impairments.forEach((r, i) => {
    if (r.id === DEFAULT_LOSS_RULE) {
      throw new ScenarioError(`impairments[${i}].id`, `rule id '${r.id}' is reserved for 'loss'`);
    }
    if (wholeRun.has(r.id)) throw new ScenarioError(`impairments[${i}].id`, `rule id '${r.id}' is used twice`);
    wholeRun.set(r.id, i);
  });
  for (const f of faults) {
    if (f.kind !== "impair") continue;
    const clash = f.rule.id === DEFAULT_LOSS_RULE
      ? "'loss'"
      : wholeRun.has(f.rule.id)
      ? `impairments[${wholeRun.get(f.rule.id)}]`
      : null;
    if (clash) {
      throw new ScenarioError(`${f.path}.rule.id`, `rule id '${f.rule.id}' is already the whole-run rule of ${clash}`);
    }
  }
  try {
    return compileSchedule(faults, members, endMs);
  } catch (error) {
    if (error instanceof ConfigError) throw ScenarioError.from(error, "");
    throw error;
  }
}
