/**
 * What the coordinator and a shard say to each other. A shard hosts many
 * members in one event loop (a Web Worker or a process), each with its own
 * socket. Requests go through `../os/channel.ts` (`op` plus an `id`, one
 * reply each); the shard's own reports are the {@linkcode ShardReport}s.
 *
 * @module
 */

import type { HistogramData, HistogramSummary } from "../../lib/core/histogram.ts";

/** What the coordinator can do to one hosted member. */
export type MemberAction = "kill" | "restart" | "pause" | "resume";

/** Subnet and domain of every member, by global index (subnet numbers unique across domains). */
export interface MemberLevels {
  /** Subnet of member i. */
  readonly subnet: readonly number[];
  /** Domain of member i. */
  readonly domain: readonly number[];
}

/** `init`: bind the hosted members' private sockets. Answered with `{ ports }`. */
export interface InitRequest {
  readonly op: "init";
  readonly shard: number;
  /** Global member indices hosted here. */
  readonly members: readonly number[];
  /** Private port per hosted member (0 = any free port). */
  readonly ports: readonly number[];
  readonly seed: number;
  /** The member kind's registry name and its resolved settings. */
  readonly kind: string;
  readonly settings: unknown;
  /** Multi-level topology, or null. */
  readonly levels: MemberLevels | null;
  /** Catastrophe recovery's exponent and report delay, or null. */
  readonly catastrophe: { readonly exponent: number; readonly reportAfterMs: number } | null;
  readonly speedup: number;
  /** Real ms between stats reports. */
  readonly statsIntervalMs: number;
  /** Track propagation episodes (nominal ms window and cutoff), or null. */
  readonly episodes: { readonly horizonMs: number; readonly cutoffMs: number } | null;
}

/** Every request a shard serves. */
export type ShardRequest =
  | InitRequest
  | {
    readonly op: "start";
    /** Public address (member id) of every member, by global index. */
    readonly publicIds: readonly number[];
    readonly startAbsMs: number;
    /** The proxy's broadcast address (catastrophe recovery), if any. */
    readonly broadcastId?: number;
  }
  /** Heartbeat origins produced in other shards: flat triples (source index, counter, nominal ms). */
  | { readonly op: "origins"; readonly origins: number[] }
  /** Kill, restart, pause or resume one hosted member; answered with `{ atAbsMs }`. */
  | { readonly op: "control"; readonly action: MemberAction; readonly member: number }
  /** Stop scheduling work (no new sends) but keep receiving what is in flight. */
  | { readonly op: "quiesce" }
  /** Close every socket; answered with a {@linkcode ShardFinal}. */
  | { readonly op: "stop" };

/** Cumulative per-member counters of a shard, by position in its member list. */
export interface ShardCounters {
  readonly sentBytes: number[];
  readonly sentDatagrams: number[];
  readonly recvBytes: number[];
  readonly recvDatagrams: number[];
  readonly malformed: number[];
  readonly sendErrors: number[];
  readonly foreign: number[];
}

/** The answer to `stop`. */
export interface ShardFinal {
  readonly atAbsMs: number;
  readonly counters: ShardCounters;
  readonly lateness: HistogramData;
  /** Propagation times of every learn (episodes only). */
  readonly propagation: HistogramData | null;
  /** Each hosted member socket's kernel receive drops (SO_RXQ_OVFL), or null when not measured. */
  readonly kernelDrops: number[] | null;
}

/** What a shard reports on its own. */
export type ShardReport =
  | {
    readonly type: "events";
    readonly shard: number;
    /** Flat quadruples: observer index, event kind code, subject index (-1: no member's), nominal ms. */
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
  /** An error outside any request: the shard cannot go on. */
  | { readonly type: "error"; readonly shard: number; readonly message: string };
