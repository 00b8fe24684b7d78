/**
 * The fleet seam: how a run talks to its members, whoever hosts them
 * (shards of harness-hosted members in workers or processes, or real
 * programs such as memberlist or Serf, one process per member). Nothing
 * outside a fleet knows how its members are hosted.
 *
 * Events arrive keyed by member index. A fleet that cannot see a figure
 * (an external program's own socket counts) declares it not measured, and
 * the metrics say so instead of computing from zeros.
 *
 * @module
 */

import type { HistogramData, HistogramSummary } from "../../lib/core/histogram.ts";

/**
 * What a run can do to one member; the promise resolves to the instant
 * (epoch ms) it took effect. `slow` starts a stop-and-go cycle (stopped for
 * a share of every interval, as an overloaded process is), `fast` ends it.
 */
export type FleetAction = "kill" | "restart" | "pause" | "resume" | "slow" | "fast";

/** The stop-and-go cycle of a slow member. */
export interface SlowCycle {
  /** Cycle length (nominal ms; the fleet runs it in real time at the run's speed-up). */
  readonly intervalMs: number;
  /** Share of every cycle the member is stopped, in (0, 1). */
  readonly stoppedFraction: number;
}

/** The per-member counters a fleet may measure. */
export const FLEET_COUNTERS = [
  "sentBytes",
  "sentDatagrams",
  "recvBytes",
  "recvDatagrams",
  "malformed",
  "sendErrors",
  "foreign",
  "kernelDrops",
] as const;
/** One of {@linkcode FLEET_COUNTERS}. */
export type FleetCounter = typeof FLEET_COUNTERS[number];

/** Per-member counters by global member index; null where the fleet does not measure it. */
export type FleetTotals = { readonly [K in FleetCounter]: readonly number[] | null };

/** A periodic report of one host (shard or member process). */
export interface FleetStats {
  /** Host index. */
  readonly host: number;
  /** When the reading was taken (epoch ms). */
  readonly atAbsMs: number;
  /** Cumulative bytes sent per member of the host, by global index (null: not measured). */
  readonly sentBytes: ReadonlyMap<number, number> | null;
  /** Cumulative datagrams sent per member of the host, by global index (null: not measured). */
  readonly sentDatagrams: ReadonlyMap<number, number> | null;
  /** Timer lateness since the previous report (real ms), or null when not measured. */
  readonly lateness: HistogramSummary | null;
}

/** A fleet's callbacks. */
export interface FleetSink {
  /** Detector events: flat quadruples (observer index, event kind code, subject index or -1, nominal ms). */
  readonly onEvents: (events: readonly number[]) => void;
  /** A host's periodic reading. */
  readonly onStats: (stats: FleetStats) => void;
  /** Finished propagation episodes (flat quintuples), when measured. */
  readonly onEpisodes?: (records: readonly number[]) => void;
  /** The fleet cannot go on. */
  readonly onError: (error: Error) => void;
  /**
   * The process id of each member now (null: none), by index, whenever it
   * changes (fleets of real programs: the proxy's TCP relay names a
   * connection's initiator by its process).
   */
  readonly onPids?: (pids: readonly (number | null)[]) => void;
}

/** One member's own table at the end, as a fleet of real programs reads it (its `members` command). */
export interface FleetView {
  /** When it was read (nominal ms). */
  readonly t: number;
  /** State of each member by index in this member's table: alive, suspect, failed, left, absent, unknown. */
  readonly states: readonly string[];
}

/** CPU time and memory of one member's process (fleets of real programs). */
export interface MemberProcessUsage {
  /** CPU time of the process (ms). */
  readonly cpuMs: number;
  /** How long the process had run when read (real ms). */
  readonly wallMs: number;
  /** Resident set size when read. */
  readonly rssBytes: number;
  /** Its peak resident set size. */
  readonly peakRssBytes: number;
}

/** What a fleet reports when it stops. */
export interface FleetFinal {
  /** Per-member counters, by global index. */
  readonly totals: FleetTotals;
  /** Timer lateness of each host (null: not measured). */
  readonly latenessByHost: readonly (HistogramData | null)[];
  /** Hosts that were stopped by a fault (SIGSTOP) at some point: their lateness is the fault, not noise. */
  readonly faultedHosts: readonly number[];
  /** Propagation times of every learn (episodes only). */
  readonly propagation: HistogramData | null;
  /** Each member's own table at the end, by index (null: it did not answer), when the fleet can read them. */
  readonly views?: readonly (FleetView | null)[];
  /** Each member process's usage at the end (or when killed), by index, when the fleet runs one per member. */
  readonly usage?: readonly (MemberProcessUsage | null)[];
}

/** The members of a run. */
export interface Fleet {
  /** Members. */
  readonly size: number;
  /** Each member's private port (where the proxy delivers to it), by index; known after {@linkcode bind}. */
  readonly privatePorts: readonly number[];
  /**
   * The public ports the proxy must bind, by index, when the fleet chose them
   * (free for UDP and TCP); known after {@linkcode bind}. Absent: the run chooses.
   */
  readonly publicPorts?: readonly number[];
  /** Whether members use TCP on their port too (memberlist, Serf): the proxy then relays TCP. */
  readonly tcp?: boolean;
  /** Starts the hosts and binds every member's private socket. */
  bind(): Promise<void>;
  /**
   * Starts every member: the run's clock starts at `startAbsMs`; members know
   * each other by `publicIds`. A fleet whose members must first find each
   * other (real programs joining a cluster) resolves to the later instant the
   * clock starts instead, once they have.
   */
  begin(publicIds: readonly number[], startAbsMs: number, broadcastId?: number): Promise<void | number>;
  /** Kills, restarts, pauses or resumes one member. */
  control(member: number, action: FleetAction, cycle?: SlowCycle): Promise<number>;
  /** Stops all scheduled work; sockets keep receiving what is in flight. */
  quiesce(): Promise<void>;
  /** Closes every socket and collects the final counters. */
  stop(): Promise<FleetFinal>;
  /** Ends every host at once (sockets close with them); never throws. */
  terminate(): Promise<void>;
}
