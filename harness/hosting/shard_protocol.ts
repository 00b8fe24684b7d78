/**
 * Messages between the coordinator and a shard worker. A shard hosts many
 * members in one Web Worker (one event loop), each with its own socket.
 *
 * @module
 */

import type { HistogramData, HistogramSummary } from "../../lib/core/histogram.ts";
import type { PhiOptions } from "../../lib/basic/phi.ts";
import type { DisseminationStyle } from "../../lib/basic/options.ts";

/** What the coordinator can do to one hosted member. */
export type MemberAction = "kill" | "restart" | "pause" | "resume";

/** SWIM's settings (nominal ms). */
export interface SwimSettings {
  /** Protocol period T'. */
  readonly protocolPeriodMs: number;
  /** Direct ping timeout. */
  readonly pingTimeoutMs: number;
  /** Indirect probers k. */
  readonly indirectChecks: number;
  /** Suspicion timeout (Lifeguard's minimum when `lifeguard` is on). */
  readonly suspicionTimeoutMs: number;
  /** Lifeguard's extensions (health multiplier, confirmations, buddy system). */
  readonly lifeguard: boolean;
  /** memberlist's separate gossip interval, or null for piggyback only. */
  readonly gossipIntervalMs: number | null;
  /** Members each separate gossip goes to. */
  readonly gossipNodes: number;
}

/** The detectors a scenario can run. */
export const DETECTOR_NAMES = ["basic", "swim", "phi", "neighbor"] as const;
/** One of {@linkcode DETECTOR_NAMES}. */
export type DetectorName = typeof DETECTOR_NAMES[number];

/** Detector choice and timings a shard needs (nominal ms). */
export interface ShardDetectorConfig {
  /** Which detector the members run. @default {"basic"} */
  readonly detector?: DetectorName;
  /** Phi accrual settings when `detector` is "phi". */
  readonly phi?: PhiOptions;
  readonly tGossipMs: number;
  readonly tFailMs: number;
  readonly tCleanupMs: number;
  /** SWIM's settings when `detector` is "swim". */
  readonly swim?: SwimSettings;
  /** Gossip style of the basic and phi detectors. @default {"push"} */
  readonly style?: DisseminationStyle;
  /** Subnet and domain of every member, by global index (multi-level gossip). */
  readonly topology?: MemberLevels;
  /** Catastrophe recovery: p(t) exponent and report delay (nominal ms). */
  readonly catastrophe?: { readonly exponent: number; readonly reportAfterMs: number };
  /** The lecture's neighbour-ping detector's settings when `detector` is "neighbor". */
  readonly neighbor?: NeighborSettings;
}

/** Subnet and domain of every member, by global index (subnet numbers unique across domains). */
export interface MemberLevels {
  /** Subnet of member i. */
  readonly subnet: readonly number[];
  /** Domain of member i. */
  readonly domain: readonly number[];
}

/** The lecture's neighbour-ping detector's settings (nominal ms). */
export interface NeighborSettings {
  /** Ping period. */
  readonly pingIntervalMs: number;
  /** Ack timeout, below the ping period. */
  readonly pingTimeoutMs: number;
  /** Consecutive unanswered pings before a pinger suspects. */
  readonly missesToSuspect: number;
  /** Neighbours pinged on each side of the ring. */
  readonly neighborsPerSide: number;
  /** Pingers that must agree. */
  readonly quorum: number;
  /** Failure-notice gossip period. */
  readonly noticeIntervalMs: number;
  /** Membership gossip period. */
  readonly membershipIntervalMs: number;
}

/** Coordinator → shard. */
export type ToShard =
  | {
    readonly type: "init";
    readonly shard: number;
    /** Global member indices hosted here. */
    readonly members: readonly number[];
    /** Private port per hosted member (0 = any free port). */
    readonly ports: readonly number[];
    readonly seed: number;
    readonly config: ShardDetectorConfig;
    readonly speedup: number;
    /** Real ms between stats reports. */
    readonly statsIntervalMs: number;
    /** Track propagation episodes (nominal ms window and cutoff), or null. */
    readonly episodes: { readonly horizonMs: number; readonly cutoffMs: number } | null;
  }
  | {
    readonly type: "start";
    /** Public address (member id) of every member, by global index. */
    readonly publicIds: readonly number[];
    readonly startAbsMs: number;
    /** The proxy's broadcast address (catastrophe recovery), if any. */
    readonly broadcastId?: number;
  }
  /** Heartbeat origins produced in other shards: flat triples (source index, counter, nominal ms). */
  | { readonly type: "origins"; readonly origins: number[] }
  /** Kill, restart, pause or resume one hosted member. */
  | {
    readonly type: "control";
    readonly seq: number;
    readonly action: MemberAction;
    /** Global member index. */
    readonly member: number;
  }
  /** Stop scheduling work (no new sends) but keep receiving what is in flight. */
  | { readonly type: "quiesce" }
  | { readonly type: "stop" };

/** Cumulative per-member counters of a shard, by position in its member list. */
export interface ShardCounters {
  readonly sentBytes: number[];
  readonly sentDatagrams: number[];
  readonly recvBytes: number[];
  readonly recvDatagrams: number[];
  readonly malformed: number[];
  readonly sendErrors: number[];
}

/** Shard → coordinator. */
export type FromShard =
  | { readonly type: "bound"; readonly shard: number; readonly ports: number[] }
  | { readonly type: "quiesced"; readonly shard: number }
  | {
    readonly type: "controlled";
    readonly shard: number;
    readonly seq: number;
    readonly atAbsMs: number;
    readonly error?: string;
  }
  | {
    readonly type: "error";
    readonly shard: number;
    readonly message: string;
    readonly name: string;
    readonly port?: number;
  }
  | {
    readonly type: "events";
    readonly shard: number;
    /** Flat quadruples: observer index, event kind code, subject member id, nominal ms. */
    readonly events: number[];
  }
  /** Heartbeat origins produced here: flat triples (source index, counter, nominal ms). */
  | { readonly type: "origins"; readonly shard: number; readonly origins: number[] }
  /** Finished episodes: flat quintuples (source, counter, origin ms, learned, max propagation ms). */
  | { readonly type: "episodes"; readonly shard: number; readonly records: number[] }
  | {
    readonly type: "stats";
    readonly shard: number;
    readonly atAbsMs: number;
    readonly counters: ShardCounters;
    /** Lateness of the wake-ups since the previous report (real ms). */
    readonly lateness: HistogramSummary;
  }
  | {
    readonly type: "stopped";
    readonly shard: number;
    readonly atAbsMs: number;
    readonly counters: ShardCounters;
    readonly lateness: HistogramData;
    /** Propagation times of every learn (episodes only). */
    readonly propagation: HistogramData | null;
  };

/** Event kind codes on the shard channel, indexing DETECTOR_EVENT_KINDS. */
export { DETECTOR_EVENT_KINDS as EVENT_KIND_CODES } from "../../lib/core/detector.ts";
