/**
 * What a run recorded, as the metrics read it: detector events members
 * actually emitted, when members were down and partitions in place, the
 * bytes their sockets took, the proxy's own counts, and the noise readings.
 * Every figure of this folder is a pure function of a {@linkcode RunRecord}.
 * Definitions follow `metrics.md` (see METRICS.md beside this folder for the
 * ones this project adds).
 *
 * All times are nominal milliseconds unless named `...RealMs`.
 *
 * @module
 */

import type { HistogramData } from "../../lib/core/histogram.ts";
import type { DetectorEventKind } from "../../lib/core/detector.ts";
import type { FleetView, MemberProcessUsage } from "../hosting/fleet.ts";
import type { ProxyCounters } from "../proxy/books.ts";

/** One detector event as recorded by the coordinator. */
export interface RecordedEvent {
  readonly observer: number;
  readonly kind: DetectorEventKind;
  /** Member index of the subject, or -1 for an address that is no member's. */
  readonly subject: number;
  readonly atMs: number;
}

/** A member unreachable or stopped from `fromMs` to `toMs` (null: to the end). */
export interface DownInterval {
  /** Member index. */
  readonly member: number;
  /** Start (nominal ms). */
  readonly fromMs: number;
  /** End (nominal ms), or null if it lasted to the end of the run. */
  readonly toMs: number | null;
  /** What took it down: crash by proxy, kill, pause, or failed from the start. */
  readonly cause: "crash" | "kill" | "pause" | "failed";
}

/** A member slowed (stopped for a share of every interval) from `fromMs` to `toMs` (null: to the end). */
export interface SlowInterval {
  /** Member index. */
  readonly member: number;
  /** Start (nominal ms). */
  readonly fromMs: number;
  /** End (nominal ms), or null if it lasted to the end of the run. */
  readonly toMs: number | null;
}

/** A partition in place from `fromMs` to `toMs` (null: to the end). */
export interface PartitionInterval {
  /** Start (nominal ms). */
  readonly fromMs: number;
  /** End (nominal ms), or null. */
  readonly toMs: number | null;
  /** Cut links, `from * n + to`. */
  readonly cuts: readonly number[];
  /** The partition's shape. */
  readonly label: string;
}

/**
 * Cumulative per-member counters, by global member index; null where the
 * fleet does not measure them (real programs: their own socket counts are
 * not visible), so figures that need them say "not measured".
 */
export interface MemberTotals {
  readonly sentBytes: readonly number[] | null;
  readonly sentDatagrams: readonly number[] | null;
  readonly recvBytes: readonly number[] | null;
  readonly recvDatagrams: readonly number[] | null;
  readonly malformed: readonly number[] | null;
  readonly sendErrors: readonly number[] | null;
  /** Datagrams that reached a member's private port from outside the proxy (dropped unread). */
  readonly foreign: readonly number[] | null;
  /** Datagrams the kernel dropped at each member's own socket (receive buffer full), or null when not measured. */
  readonly kernelDrops: readonly number[] | null;
}

/** A sample of every member's cumulative sent bytes at one instant. */
export interface BandwidthSample {
  readonly atMs: number;
  readonly sentBytes: readonly number[];
  /** Cumulative datagrams sent, same order. */
  readonly sentDatagrams: readonly number[];
}

/**
 * Which bytes a budget counts: `entries` (payload minus the 8-byte message
 * header: the paper's 8n per list, which T_gossip = 8n/B is derived from),
 * `payload` (UDP payload) or `wire` (payload plus 28 bytes of IPv4/UDP
 * header per datagram).
 */
export type BudgetAccounting = "entries" | "payload" | "wire";

/** Everything the metrics are computed from. */
export interface RunRecord {
  readonly members: number;
  /** Nominal length of the measured run (start to quiesce). */
  readonly durationMs: number;
  readonly speedup: number;
  /** The detector's period (T_gossip, T', the ping period): lateness is judged against it. */
  readonly periodMs: number;
  readonly budgetBytesPerSec: number;
  /** Which bytes the budget is judged by (see `bandwidth.ts`). */
  readonly budgetAccounting: BudgetAccounting;
  /** When members were down (crash by proxy, kill, pause, failed from the start). */
  readonly downs: readonly DownInterval[];
  /** When partitions were in place, with their cut links. */
  readonly partitions: readonly PartitionInterval[];
  /** When members were slow (absent in records from before the slow fault: none). */
  readonly slows?: readonly SlowInterval[];
  /** The silence that ends in a detection (T_fail, SWIM's suspicion timeout + 2 T'): attributes a detection to a fault. */
  readonly silenceMs: number;
  readonly events: readonly RecordedEvent[];
  readonly totals: MemberTotals;
  /** Sample series, one per shard (each sample covers that shard's members). */
  readonly samples: readonly (readonly BandwidthSample[])[];
  readonly proxy: ProxyCounters | null;
  /** The proxy's counts when the clock started (members that talked before it: real programs), else null. */
  readonly proxyAtStart?: ProxyCounters | null;
  /** Each member's own table at the end (fleets of real programs), by index; null when not read. */
  readonly views?: readonly (FleetView | null)[] | null;
  /** Each member process's CPU and memory (fleets of real programs), by index; null when not read. */
  readonly processes?: readonly (MemberProcessUsage | null)[] | null;
  readonly noise: NoiseReadings;
  readonly faithfulLatenessFraction: number;
}

/** Timer lateness of one shard over one stats interval. */
export interface NoiseInterval {
  /** End of the interval (nominal ms). */
  readonly atMs: number;
  /** Shard index. */
  readonly shard: number;
  /** Lateness p99 of the interval's wake-ups (real ms). */
  readonly latenessP99Ms: number;
  /** Largest lateness in the interval (real ms). */
  readonly latenessMaxMs: number;
}

/** One reading of the processes' memory and CPU (nominal time; bytes; CPU ms since each process started). */
export interface ProcessReading {
  /** When it was read (nominal ms since the run's start). */
  readonly atMs: number;
  /** The harness's resident set (bytes). */
  readonly harnessRssBytes: number;
  /** The harness's CPU since it started (ms). */
  readonly harnessCpuMs: number;
  /** The proxy's resident set (bytes), or null when the proxy runs inside the harness. */
  readonly proxyRssBytes: number | null;
  /** The proxy's CPU since it started (ms), or null when the proxy runs inside the harness. */
  readonly proxyCpuMs: number | null;
}

/** Raw noise readings of a run. */
export interface NoiseReadings {
  /** A simulated run has no timer lateness, kernel, CPU or memory readings to judge. @default {"real"} */
  readonly mode?: "real" | "simulated";
  readonly latenessByShard: readonly HistogramData[];
  /** Shards whose lateness is an injected fault (SIGSTOPped), left out of the verdict. */
  readonly excludedShards?: readonly number[];
  readonly kernelRcvbufErrors: number;
  readonly kernelInErrors: number;
  readonly harnessCpuMs: number | null;
  readonly proxyCpuMs: number | null;
  readonly wallRealMs: number;
  readonly cores: number;
  readonly harnessRssBytes: number | null;
  readonly harnessPeakRssBytes: number | null;
  readonly proxyRssBytes: number | null;
  readonly proxyPeakRssBytes: number | null;
  /** Per shard and stats interval: lateness of that interval's wake-ups. */
  readonly timeline: readonly NoiseInterval[];
  /** Memory and CPU of the harness and the proxy over time. */
  readonly readings: readonly ProcessReading[];
}
