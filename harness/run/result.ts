/**
 * The result file: its schema (documented in RESULTS.md beside this file) and
 * atomic writing (write a temporary file, then rename), so a reader never
 * sees half a result.
 *
 * @module
 */

import type { GossipConfig } from "../../lib/basic/config.ts";
import type { Bandwidth } from "../metrics/bandwidth.ts";
import type { CrashDetection, Spread } from "../metrics/detection.ts";
import type { BroadcastReport, LevelBandwidth } from "../metrics/levels.ts";
import type { Mistakes } from "../metrics/mistakes.ts";
import type { ProcessSummary, ViewReconciliation } from "../metrics/external.ts";
import type { Noise } from "../metrics/noise.ts";
import type { ProxyReport } from "../metrics/proxy_report.ts";
import type { Remerge } from "../metrics/remerge.ts";
import type { MachineFacts } from "../os/readings.ts";
import type { Fault } from "../faults/schedule.ts";
import type { DetectorName } from "../members/registry.ts";
import type { Scenario } from "../scenario/mod.ts";
import type { HistogramData } from "../../lib/core/histogram.ts";

/** Propagation episodes of a run (when the scenario measures them). */
export interface EpisodeSummary {
  /** Window after an origin during which learns count (nominal ms). */
  readonly horizonMs: number;
  /** Episodes with an origin after this were not tracked (nominal ms). */
  readonly cutoffMs: number;
  /** Episodes tracked from live sources. */
  readonly tracked: number;
  /** Observers each episode should reach: live members minus the source. */
  readonly expectedObservers: number;
  /** Episodes every expected observer learned within the window. */
  readonly fullyLearned: number;
  /** tracked x expectedObservers: the per-pair denominator. */
  readonly pairs: number;
  /** Time for an episode to reach every observer (fully learned episodes only). */
  readonly fullPropagation: HistogramData;
  /** Propagation time of every (observer, episode) learn within the window. */
  readonly propagation: HistogramData;
}

/** Version of the result.json layout. */
export const RESULT_SCHEMA_VERSION = 2;

/** Contents of `DIR/result.json`. */
export interface RunResult {
  /** Version of this layout. */
  readonly schemaVersion: number;
  /** Version of the harness that produced the result. */
  readonly harnessVersion: string;
  /** Scenario name. */
  readonly scenario: string;
  /** Scenario description. */
  readonly description: string;
  /** Real sockets, or the simulator's virtual time (noise figures that do not apply: `noise.notApplicable`). */
  readonly mode: "real" | "simulated";
  /** False when the run was interrupted or failed; the figures cover what ran. */
  readonly complete: boolean;
  /** True when Ctrl-C or an abort signal ended the run early. */
  readonly interrupted: boolean;
  /**
   * Why the run is not complete: `interrupted` (a signal), `deadline` (it
   * overran its hard deadline: overloaded), `error` (a harness failure) or
   * `killed` (the journal ends without its last line); null when complete.
   */
  readonly reason: "interrupted" | "deadline" | "error" | "killed" | null;
  /** The harness failure that ended the run, if any. */
  readonly error: string | null;
  /** The noise floor's verdict (see `noise.reasons`); never true for an incomplete run. */
  readonly faithful: boolean;
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
  /** Real seconds from start to the end of teardown. */
  readonly wallSeconds: number;
  /** Everything needed to rerun: timings (seconds and ms, nominal), seed, speed-up, loss, faults. */
  readonly config: {
    readonly n: number;
    readonly B: number;
    readonly pMistake: number;
    readonly modelFailed: number;
    readonly modelLoss: number;
    readonly rounds: number;
    readonly T_gossip: number;
    readonly T_fail: number;
    readonly T_cleanup: number;
    readonly tGossipMs: number;
    readonly tFailMs: number;
    readonly tCleanupMs: number;
    readonly seed: number;
    readonly speedup: number;
    readonly loss: number;
    /** Which bytes the budget verdict counts. */
    readonly budgetAccounting: "entries" | "payload" | "wire";
    readonly durationMs: number;
    readonly shards: number;
    readonly basePort: number;
    readonly crashes: readonly {
      readonly member: number;
      readonly atMs: number;
    }[];
    /** Members failed (black-holed) from the start. */
    readonly failed: number;
    /** The fault schedule (absolute nominal ms). */
    readonly faults: readonly Fault[];
    /** Quiet time after the schedule, before measurement ended (nominal ms). */
    readonly recoveryMs: number;
    /** Which member kind ran (`harness list`). */
    readonly detector: DetectorName;
    /** The kind's resolved settings (see the kind's options in `lib/<family>/`). */
    readonly settings: unknown;
    /** One line describing the settings (the kind's own words). */
    readonly describedAs: string;
    /** Gossip style of the gossip kinds ("push" for the others). */
    readonly dissemination: string;
    /** Virtual domains and subnets, or null for one subnet. */
    readonly topology: { readonly domains: number; readonly subnetsPerDomain: number } | null;
    /** Catastrophe recovery settings, or null when off. */
    readonly catastrophe: Scenario["catastrophe"];
    /** The kind's period (nominal ms): timer lateness is judged against it. */
    readonly periodMs: number;
    /** The silence that ends in a detection (nominal ms): attributes detections to faults. */
    readonly silenceMs: number;
    /** Where harness-hosted members ran. */
    readonly hosting: Scenario["hosting"];
    /** Lateness p99 above this fraction of the real period makes the run unfaithful. */
    readonly faithfulLatenessFraction: number;
  };
  /** The machine and software the run used. */
  readonly machine: MachineFacts;
  /** Nominal ms actually run (start to the end of measurement). */
  readonly measuredMs: number;
  /** Detection of each crash that happened. */
  readonly crashes: readonly (CrashDetection & { readonly address: string })[];
  /** Spread of the detection figures across crashes. */
  readonly detectionAcrossCrashes: {
    readonly crashes: number;
    readonly undetected: number;
    readonly firstMs: Spread;
    readonly medianMs: Spread;
    readonly p99Ms: Spread;
    readonly fullMs: Spread;
  };
  /** Mistakes (false positives). */
  readonly mistakes: Mistakes;
  /** Bandwidth per member, per nominal second. */
  readonly bandwidth: Bandwidth;
  /** The proxy's counts and their reconciliation with the members'. */
  readonly proxy: ProxyReport | null;
  /** Member-side counts. */
  readonly members: {
    /** Malformed datagrams members dropped (null: not measured, e.g. real programs). */
    readonly malformedDropped: number | null;
    /** Failed sends (null: not measured). */
    readonly sendErrors: number | null;
    readonly detectorEvents: number;
    /** Each member's own table at the end against its events (fleets of real programs), else null. */
    readonly views?: ViewReconciliation | null;
    /** CPU and memory per member process (fleets of real programs), else null. */
    readonly processes?: ProcessSummary | null;
  };
  /** The noise floor and the faithfulness verdict. */
  readonly noise: Noise;
  /** Propagation episodes, or null when the scenario did not measure them. */
  readonly episodes: EpisodeSummary | null;
  /** Bytes by topology level, or null without a topology (absent in older results). */
  readonly levels?: LevelBandwidth | null;
  /** Catastrophe-recovery broadcasts, or null when off. */
  readonly broadcasts?: BroadcastReport | null;
  /** Re-merge after each healed partition that split members' views. */
  readonly remerges?: readonly Remerge[];
}

/** Converts the gossip config into the result's config block. */
export function configBlock(
  g: GossipConfig,
  run: Omit<
    RunResult["config"],
    | "n"
    | "B"
    | "pMistake"
    | "modelFailed"
    | "modelLoss"
    | "rounds"
    | "T_gossip"
    | "T_fail"
    | "T_cleanup"
    | "tGossipMs"
    | "tFailMs"
    | "tCleanupMs"
  >,
): RunResult["config"] {
  return {
    n: g.members,
    B: g.budgetBytesPerSec,
    pMistake: g.pMistake,
    modelFailed: g.modelFailed,
    modelLoss: g.modelLoss,
    rounds: g.rounds,
    T_gossip: g.tGossipMs / 1000,
    T_fail: g.tFailMs / 1000,
    T_cleanup: g.tCleanupMs / 1000,
    tGossipMs: g.tGossipMs,
    tFailMs: g.tFailMs,
    tCleanupMs: g.tCleanupMs,
    ...run,
  };
}
