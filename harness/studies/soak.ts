/**
 * `harness soak`: a long run on real sockets (an hour at 1000 members by
 * default, real time) with a fault schedule repeating every cycle: a crash
 * that recovers, a partition that heals, a burst of loss. It watches what a
 * long run reveals: memory that grows (harness and proxy RSS after
 * warm-up), timer lateness over time, and datagrams the kernel dropped at
 * the run's own sockets (per-socket counters, not the machine-wide ones
 * other programs disturb). It fails when RSS grows more than 5% after
 * warm-up or any datagram was dropped at one of the run's sockets.
 *
 * @module
 */

import type { RunResult } from "../run/result.ts";
import { runScenario } from "../run/run.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/mod.ts";
import { writeJsonAtomic } from "../os/files.ts";

/** Options of {@linkcode runSoak}. */
export interface SoakOptions {
  /** Where the run and soak.json go. */
  readonly outDir: string;
  /** Members. @default {1000} */
  readonly members?: number;
  /** Nominal (= real) seconds. @default {3600} */
  readonly seconds?: number;
  /** The detector: the paper's, or SWIM at memberlist's LAN timings. @default {"basic"} */
  readonly detector?: "basic" | "swim";
  /** Seconds between repetitions of the fault cycle. @default {600} */
  readonly cycleSeconds?: number;
  /** Seconds at the start not judged for memory growth. @default {max(300, 10% of the run)} */
  readonly warmupSeconds?: number;
  /** Seed. @default {1} */
  readonly seed?: number;
  /** Aborting ends the run early (partial results). */
  readonly signal?: AbortSignal;
  /** Recorded in the result. */
  readonly harnessVersion?: string;
}

/** A slice of the run's lateness. */
export interface LatenessWindow {
  /** Start of the window (nominal s). */
  readonly fromSeconds: number;
  /** Highest per-interval p99 in it (real ms). */
  readonly p99Ms: number;
  /** Highest lateness in it (real ms). */
  readonly maxMs: number;
}

/** The soak's figures and verdict. */
export interface SoakReport {
  /** Members, detector, seconds, cycle, warm-up. */
  readonly setup: { members: number; detector: string; seconds: number; cycleSeconds: number; warmupSeconds: number };
  /** Harness RSS just after warm-up and at the end (medians of 5 readings), and the growth. */
  readonly harnessRss: Growth;
  /** The same for the proxy process. */
  readonly proxyRss: Growth | null;
  /** Datagrams the kernel dropped at the run's own sockets (members' and proxy's), or null when not measured. */
  readonly kernelDropsOwnSockets: number | null;
  /** Machine-wide RcvbufErrors over the run (other programs add to it; reported, not judged). */
  readonly machineRcvbufErrors: number;
  /** Timer lateness by window of a tenth of the run. */
  readonly lateness: readonly LatenessWindow[];
  /** CPU cores the harness and proxy kept busy over the run. */
  readonly cpuCores: number;
  /** Mistakes over the run (the schedule's faults explain the rest). */
  readonly mistakes: number;
  /** Whether the run completed and the run's own verdict. */
  readonly complete: boolean;
  /** The run's faithfulness verdict and reasons. */
  readonly faithful: boolean;
  /** Pass or fail, with why. */
  readonly passed: boolean;
  /** Why it failed (empty when it passed). */
  readonly failures: readonly string[];
}

/** RSS early and late. */
export interface Growth {
  /** Bytes just after warm-up. */
  readonly afterWarmupBytes: number;
  /** Bytes at the end. */
  readonly endBytes: number;
  /** end / afterWarmup - 1. */
  readonly growth: number;
}

/** The soak scenario: the fault cycle repeated over the run. */
export function soakScenario(options: SoakOptions): ScenarioInput {
  const seconds = options.seconds ?? 3600;
  const cycle = options.cycleSeconds ?? 600;
  const members = options.members ?? 1000;
  const faults: NonNullable<ScenarioInput["faults"]> = [];
  for (let k = 0, at = cycle * 0.1; at + cycle * 0.8 < seconds; k++, at += cycle) {
    const member = 1 + (k % Math.max(1, members - 2));
    faults.push({ kind: "crash", at: at * 1000, member, recoverAfter: cycle * 0.25 * 1000 });
    faults.push({ kind: "partition", at: (at + cycle * 0.35) * 1000, shape: "halves", healAfter: cycle * 0.15 * 1000 });
    faults.push({
      kind: "impair",
      at: (at + cycle * 0.6) * 1000,
      for: cycle * 0.1 * 1000,
      rule: { id: `burst-${k}`, impairment: { kind: "gilbert-elliott", p: 0.02, r: 0.3 } },
    });
  }
  return {
    name: `soak-${options.detector ?? "basic"}-${members}`,
    description: "a long real-time run with a repeating fault schedule: memory growth, lateness and drops over time",
    members,
    duration: seconds * 1000,
    recovery: 0,
    speedup: 1,
    seed: options.seed ?? 1,
    ...(options.detector === "swim"
      ? {
        detector: "swim" as const,
        swim: { protocolPeriodMs: 1000, pingTimeoutMs: 500, lifeguard: true, gossipIntervalMs: 200, gossipNodes: 3 },
      }
      : {}),
    faults,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
}

/** Judges a finished soak run (pure). */
export function judgeSoak(r: RunResult, setup: SoakReport["setup"]): SoakReport {
  const warmupMs = setup.warmupSeconds * 1000;
  const after = r.noise.readings.filter((x) => x.atMs >= warmupMs);
  const growth = (pick: (x: (typeof after)[number]) => number | null): Growth | null => {
    const values = after.map(pick).filter((v): v is number => v !== null);
    if (values.length < 2) return null;
    const early = median(values.slice(0, 5));
    const late = median(values.slice(-5));
    return { afterWarmupBytes: early, endBytes: late, growth: late / early - 1 };
  };
  const harnessRss = growth((x) => x.harnessRssBytes);
  const proxyRss = growth((x) => x.proxyRssBytes);
  const tenth = r.measuredMs / 10;
  const lateness: LatenessWindow[] = [];
  for (let w = 0; w < 10; w++) {
    const inWindow = r.noise.timeline.filter((t) => t.atMs >= w * tenth && t.atMs < (w + 1) * tenth);
    if (inWindow.length === 0) continue;
    lateness.push({
      fromSeconds: (w * tenth) / 1000,
      p99Ms: Math.max(...inWindow.map((t) => t.latenessP99Ms)),
      maxMs: Math.max(...inWindow.map((t) => t.latenessMaxMs)),
    });
  }
  const failures: string[] = [];
  if (!harnessRss) failures.push("too few memory readings after warm-up to judge growth");
  for (const [name, g] of [["harness", harnessRss], ["proxy", proxyRss]] as const) {
    if (g && g.growth > 0.05) {
      failures.push(`${name} RSS grew ${(g.growth * 100).toFixed(1)}% after warm-up (limit 5%)`);
    }
  }
  const drops = r.noise.kernelDropsPerSocket ? r.noise.kernelDrops : null;
  if (drops === null) failures.push("per-socket kernel drops were not measured (needs --allow-ffi)");
  else if (drops > 0) failures.push(`${drops} datagrams dropped by the kernel at the run's own sockets`);
  if (!r.complete) failures.push(`the run did not complete (${r.reason})`);
  return {
    setup,
    harnessRss: harnessRss ?? { afterWarmupBytes: 0, endBytes: 0, growth: 0 },
    proxyRss,
    kernelDropsOwnSockets: drops,
    machineRcvbufErrors: r.noise.machineRcvbufErrors,
    lateness,
    cpuCores: (r.noise.harnessCpuCores ?? 0) + (r.noise.proxyCpuCores ?? 0),
    mistakes: r.mistakes.count,
    complete: r.complete,
    faithful: r.faithful,
    passed: failures.length === 0,
    failures,
  };
}

/** Runs the soak and writes `soak.json` beside the run's files. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const input = soakScenario(options);
  const scenario = resolveScenario(input);
  const seconds = scenario.durationMs / 1000;
  const setup = {
    members: scenario.members,
    detector: scenario.detector,
    seconds,
    cycleSeconds: options.cycleSeconds ?? 600,
    warmupSeconds: options.warmupSeconds ?? Math.max(300, 0.1 * seconds),
  };
  const r = await runScenario({
    scenario,
    outDir: options.outDir,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.harnessVersion ? { harnessVersion: options.harnessVersion } : {}),
  });
  const report = judgeSoak(r, setup);
  await writeJsonAtomic(`${options.outDir}/soak.json`, report);
  return report;
}
