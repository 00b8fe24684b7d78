/**
 * The fault schedule (Jepsen's nemesis timeline), compiled from scenario
 * data into a sorted list of actions. Pure: it validates and plans; the
 * runner carries the actions out and records when each took effect.
 *
 * Every fault has a heal: a crash can recover, a kill can restart, a pause
 * always resumes, a partition heals, an impairment is removed. Whatever is
 * still active at the end of the schedule is healed there, and a recovery
 * window follows.
 *
 * @module
 */

import { ConfigError } from "../../lib/core/errors.ts";
import type { RuleSpec } from "./impairments/rule.ts";
import { bridge, type Cut, groups, halves, isolate, majoritiesRing, majorityMinority, oneWay } from "./partitions.ts";

/** Partition shapes, with the members they need. */
export type PartitionSpec =
  | { readonly shape: "halves" }
  | { readonly shape: "majority-minority" }
  | { readonly shape: "majorities-ring" }
  | { readonly shape: "bridge" }
  | { readonly shape: "isolate"; readonly member: number }
  | { readonly shape: "one-way"; readonly from: readonly number[]; readonly to: readonly number[] }
  | { readonly shape: "groups"; readonly groups: readonly (readonly number[])[] };

/**
 * One fault of a schedule; times are nominal ms from the start. `path`
 * names where the fault was written (`faults[2]`, `crashes[0]`) for errors.
 */
export type Fault =
  & (
    | { readonly kind: "crash"; readonly atMs: number; readonly member: number; readonly recoverAtMs?: number }
    | { readonly kind: "kill"; readonly atMs: number; readonly member: number; readonly restartAtMs?: number }
    | { readonly kind: "pause"; readonly atMs: number; readonly member: number; readonly resumeAtMs: number }
    | {
      readonly kind: "slow";
      readonly atMs: number;
      readonly member: number;
      readonly untilMs: number;
      /** The stop-and-go cycle (nominal ms). */
      readonly intervalMs: number;
      /** Share of every cycle the member is stopped, in (0, 1). */
      readonly stoppedFraction: number;
    }
    | {
      readonly kind: "partition";
      readonly atMs: number;
      readonly partition: PartitionSpec;
      readonly healAtMs?: number;
    }
    | { readonly kind: "impair"; readonly atMs: number; readonly rule: RuleSpec; readonly untilMs?: number }
  )
  & { readonly path?: string };

/** One step the runner carries out. */
export type Action =
  | { readonly atMs: number; readonly type: "crash" | "recover"; readonly member: number; readonly fault: number }
  | { readonly atMs: number; readonly type: "kill" | "restart"; readonly member: number; readonly fault: number }
  | { readonly atMs: number; readonly type: "pause" | "resume"; readonly member: number; readonly fault: number }
  | {
    readonly atMs: number;
    readonly type: "slow";
    readonly member: number;
    readonly intervalMs: number;
    readonly stoppedFraction: number;
    readonly fault: number;
  }
  | { readonly atMs: number; readonly type: "fast"; readonly member: number; readonly fault: number }
  | {
    readonly atMs: number;
    readonly type: "partition";
    /** The partition as specified (what the journal records). */
    readonly spec: PartitionSpec;
    readonly cuts: readonly Cut[];
    readonly label: string;
    readonly fault: number;
  }
  | { readonly atMs: number; readonly type: "heal"; readonly fault: number }
  | { readonly atMs: number; readonly type: "addRule"; readonly rule: RuleSpec; readonly fault: number }
  | { readonly atMs: number; readonly type: "removeRule"; readonly id: string; readonly fault: number };

/** Builds the cuts of a partition spec for n members. */
export function partitionCuts(n: number, p: PartitionSpec): Cut[] {
  switch (p.shape) {
    case "halves":
      return halves(n);
    case "majority-minority":
      return majorityMinority(n);
    case "majorities-ring":
      return majoritiesRing(n);
    case "bridge":
      return bridge(n);
    case "isolate":
      return isolate(n, p.member);
    case "one-way":
      return oneWay(n, p.from, p.to);
    case "groups":
      return groups(n, p.groups);
  }
}

/**
 * Validates the faults and returns the actions, sorted by time, ending with
 * the heal of whatever is still active at `endMs`. Errors are ConfigErrors
 * whose field starts with the fault's `path` (or `faults[i]`).
 */
export function compileSchedule(faults: readonly Fault[], members: number, endMs: number): Action[] {
  const actions: Action[] = [];
  const at = (i: number) => faults[i]!.path ?? `faults[${i}]`;
  const busy = new Map<number, { from: number; to: number; fault: number }[]>();
  const partitions: { from: number; to: number; fault: number }[] = [];
  const ruleIds = new Map<string, { from: number; to: number; fault: number }[]>();
  type Window = { from: number; to: number; fault: number };
  const overlaps = (list: Window[], from: number, to: number) => list.find((w) => from < w.to && w.from < to);
  const memberField = (i: number, m: number, field = "member") => {
    if (!Number.isInteger(m) || m < 0 || m >= members) {
      throw new ConfigError(
        `${at(i)}.${field}`,
        `${at(i)} names member ${m}, which does not exist: members are 0..${members - 1}`,
      );
    }
  };
  faults.forEach((f, i) => {
    const time = (value: number | undefined, field: string) => {
      if (value === undefined) return;
      if (!(value >= 0) || !Number.isFinite(value)) {
        throw new ConfigError(
          `${at(i)}.${field}`,
          `${at(i)}.${field} must be a time >= 0: current value is ${value}`,
        );
      }
      if (value > endMs) {
        throw new ConfigError(
          `${at(i)}.${field}`,
          `${at(i)}.${field} (${value} ms) is after the end of the schedule (${endMs} ms)`,
        );
      }
      if (field !== "at" && value <= f.atMs) {
        throw new ConfigError(`${at(i)}.${field}`, `${at(i)}.${field} must come after ${at(i)}.at`);
      }
    };
    time(f.atMs, "at");
    switch (f.kind) {
      case "crash":
      case "kill":
      case "pause":
      case "slow": {
        memberField(i, f.member);
        const endField = f.kind === "crash"
          ? "recoverAt"
          : f.kind === "kill"
          ? "restartAt"
          : f.kind === "pause"
          ? "resumeAt"
          : "until";
        const end = f.kind === "crash"
          ? f.recoverAtMs
          : f.kind === "kill"
          ? f.restartAtMs
          : f.kind === "pause"
          ? f.resumeAtMs
          : f.untilMs;
        time(end, endField);
        const to = end ?? endMs;
        const list = busy.get(f.member) ?? [];
        const clash = overlaps(list, f.atMs, to);
        if (clash) {
          throw new ConfigError(
            `${at(i)}`,
            `${at(i)} (${f.kind} of member ${f.member}) overlaps ${at(clash.fault)} on the same member`,
          );
        }
        list.push({ from: f.atMs, to, fault: i });
        busy.set(f.member, list);
        if (f.kind === "slow") {
          if (!(f.stoppedFraction > 0 && f.stoppedFraction < 1) || !(f.intervalMs > 0)) {
            throw new ConfigError(
              `${at(i)}.stoppedFraction`,
              `${
                at(i)
              }: a slow member is stopped for a share in (0, 1) of an interval > 0: current values are ${f.stoppedFraction} of ${f.intervalMs} ms`,
            );
          }
          const { intervalMs, stoppedFraction } = f;
          actions.push({ atMs: f.atMs, type: "slow", member: f.member, intervalMs, stoppedFraction, fault: i });
          actions.push({ atMs: to, type: "fast", member: f.member, fault: i });
          return;
        }
        const [down, up] = f.kind === "crash"
          ? ["crash", "recover"] as const
          : f.kind === "kill"
          ? ["kill", "restart"] as const
          : ["pause", "resume"] as const;
        actions.push({ atMs: f.atMs, type: down, member: f.member, fault: i });
        actions.push({ atMs: to, type: up, member: f.member, fault: i });
        return;
      }
      case "partition": {
        time(f.healAtMs, "healAt");
        let cuts: Cut[];
        try {
          if (f.partition.shape === "isolate") memberField(i, f.partition.member, "partition.member");
          cuts = partitionCuts(members, f.partition);
        } catch (error) {
          if (error instanceof ConfigError) throw error;
          throw new ConfigError(`${at(i)}.partition`, `${at(i)}.partition: ${(error as Error).message}`);
        }
        const to = f.healAtMs ?? endMs;
        const clash = overlaps(partitions, f.atMs, to);
        if (clash) {
          throw new ConfigError(
            `${at(i)}`,
            `${at(i)} (partition) overlaps the partition of ${at(clash.fault)}: heal one before the next starts`,
          );
        }
        partitions.push({ from: f.atMs, to, fault: i });
        actions.push({ atMs: f.atMs, type: "partition", spec: f.partition, cuts, label: f.partition.shape, fault: i });
        actions.push({ atMs: to, type: "heal", fault: i });
        return;
      }
      case "impair": {
        time(f.untilMs, "until");
        const to = f.untilMs ?? endMs;
        const list = ruleIds.get(f.rule.id) ?? [];
        const clash = overlaps(list, f.atMs, to);
        if (clash) {
          throw new ConfigError(
            `${at(i)}.rule.id`,
            `${at(i)} installs rule '${f.rule.id}' while ${at(clash.fault)} still has it`,
          );
        }
        list.push({ from: f.atMs, to, fault: i });
        ruleIds.set(f.rule.id, list);
        actions.push({ atMs: f.atMs, type: "addRule", rule: f.rule, fault: i });
        actions.push({ atMs: to, type: "removeRule", id: f.rule.id, fault: i });
        return;
      }
    }
  });
  // Heals sort before new faults at the same instant.
  const order = (a: Action) => ["recover", "restart", "resume", "fast", "heal", "removeRule"].includes(a.type) ? 0 : 1;
  return actions.sort((a, b) => a.atMs - b.atMs || order(a) - order(b) || a.fault - b.fault);
}
