/**
 * The journal: one JSON value per line in `events.jsonl`, written as the
 * run happens and read back to compute every figure (Jepsen's rule: log
 * everything, then analyse the log). A detector event is
 * `{ t, observer, kind, subject }`; every other record has a `type`. Times are nominal ms since the run's start (`t`) unless named
 * `...AbsMs` (epoch ms) or `...RealMs`.
 *
 * @module
 */

import type { HistogramData } from "../../lib/core/histogram.ts";
import type { DetectorEventKind } from "../../lib/core/detector.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import type { PartitionSpec } from "../faults/schedule.ts";
import type { FleetTotals, FleetView, MemberProcessUsage } from "../hosting/fleet.ts";
import type { MachineFacts, ProcessUsage, UdpSnmp } from "../os/readings.ts";
import type { ProxyCounters } from "../proxy/books.ts";
import type { Scenario } from "../scenario/mod.ts";

/** Version of the journal's layout. */
export const JOURNAL_VERSION = 2;

/** A detector event (subject -1: an address that is no member's). */
export interface EventLine {
  readonly t: number;
  readonly observer: number;
  readonly kind: DetectorEventKind;
  readonly subject: number;
}

/** The first line: everything needed to reproduce and re-analyse the run. */
export interface HeaderLine {
  readonly type: "run";
  readonly journalVersion: number;
  readonly harnessVersion: string;
  readonly startedAt: string;
  readonly machine: MachineFacts;
  /** The resolved scenario (seed and config included). */
  readonly scenario: Scenario;
  /** Readings before anything started. */
  readonly before: { readonly snmp: UdpSnmp; readonly harness: ProcessUsage };
  /** Real sockets, or the simulator's virtual time (`harness/sim/`); absent means real. */
  readonly mode?: "real" | "simulated";
}

/** The members started: addresses and the run's clock origin. */
export interface StartLine {
  readonly type: "start";
  readonly startAbsMs: number;
  readonly members: readonly { readonly index: number; readonly public: string; readonly privatePort: number }[];
  /** The proxy's usage when the members started (null: in the harness's process). */
  readonly proxyUsage: ProcessUsage | null;
  /**
   * The proxy's counts when the run's clock started, when members talked
   * before it (real programs finding each other): rates count from here.
   */
  readonly proxyAtStart?: ProxyCounters;
}

/** A fault as carried out, at the nominal time it took effect. */
export type FaultLine =
  & {
    readonly type: "fault";
    readonly t: number;
    /** Index of the fault in the schedule (-1: failed from the start). */
    readonly index: number;
    readonly how?: "failed-from-start";
  }
  & (
    | {
      readonly fault: "crash" | "recover" | "kill" | "restart" | "pause" | "resume" | "fast";
      readonly member: number;
    }
    | {
      readonly fault: "slow";
      readonly member: number;
      readonly intervalMs: number;
      readonly stoppedFraction: number;
    }
    | { readonly fault: "partition"; readonly spec: PartitionSpec }
    | { readonly fault: "heal" }
    | { readonly fault: "addRule"; readonly rule: RuleSpec }
    | { readonly fault: "removeRule"; readonly id: string }
  );

/** A host's periodic reading: cumulative bytes sent per member and the interval's timer lateness. */
export interface StatsLine {
  readonly type: "stats";
  readonly t: number;
  readonly host: number;
  /** `[member index, cumulative payload bytes sent, cumulative datagrams sent]`, or null when not measured. */
  readonly sent: readonly (readonly [number, number, number])[] | null;
  /** Lateness p99 and max of the interval's wake-ups (real ms), or null when not measured. */
  readonly latenessP99Ms: number | null;
  readonly latenessMaxMs: number | null;
}

/** A periodic reading of the harness's and the proxy's processes (memory and CPU over time). */
export interface ReadingsLine {
  readonly type: "readings";
  readonly t: number;
  readonly harness: ProcessUsage;
  /** Null when the proxy shares the harness's process or did not answer in time. */
  readonly proxy: ProcessUsage | null;
}

/** Finished propagation episodes from one host (flat quintuples: source, counter, origin ms, learned, max ms). */
export interface EpisodesLine {
  readonly type: "episodes";
  readonly records: readonly number[];
}

/** The members' final counts. */
export interface FleetLine {
  readonly type: "fleet";
  readonly totals: FleetTotals;
  readonly latenessByHost: readonly (HistogramData | null)[];
  readonly faultedHosts: readonly number[];
  readonly propagation: HistogramData | null;
  /** Each member's own table at the end (fleets of real programs). */
  readonly views?: readonly (FleetView | null)[];
  /** Each member process's CPU and memory (fleets of real programs). */
  readonly usage?: readonly (MemberProcessUsage | null)[];
}

/** The proxy's final counts (without the per-link arrays). */
export interface ProxyLine {
  readonly type: "proxy";
  readonly counters: ProxyCounters;
}

/** The last line: how and when the run ended, and the readings after. */
export interface EndLine {
  readonly type: "end";
  /** Nominal ms measured (start to quiesce). */
  readonly t: number;
  /** Why the run ended early, or null when it ran its full length. */
  readonly reason: "interrupted" | "deadline" | "error" | null;
  /** Ctrl-C, SIGTERM or an abort ended the run early. */
  readonly interrupted: boolean;
  /** The harness failure that ended the run, or null. */
  readonly error: string | null;
  readonly wallRealMs: number;
  readonly cores: number;
  readonly after: { readonly snmp: UdpSnmp; readonly harness: ProcessUsage; readonly proxy: ProcessUsage | null };
}

/** Any journal line. */
export type JournalLine =
  | EventLine
  | HeaderLine
  | StartLine
  | FaultLine
  | StatsLine
  | ReadingsLine
  | EpisodesLine
  | FleetLine
  | ProxyLine
  | EndLine;
