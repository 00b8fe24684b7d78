/**
 * The noise floor (metrics.md "Noise floor"): timer lateness, kernel drops,
 * undelivered datagrams and CPU, and from them the verdict on whether a run
 * was faithful.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { sum } from "./_sums.ts";
import type { NoiseInterval, RunRecord } from "./record.ts";

/** The noise floor (metrics.md "Noise floor"), with the faithfulness verdict. */
export interface Noise {
  /** Median lateness of scheduled wake-ups (real ms). */
  readonly latenessP50Ms: number;
  /** 99th percentile lateness of scheduled wake-ups (real ms). */
  readonly latenessP99Ms: number;
  /** Largest lateness of a scheduled wake-up (real ms). */
  readonly latenessMaxMs: number;
  /** Scheduled wake-ups measured. */
  readonly latenessWakeups: number;
  /** The same figures per worker shard. */
  readonly perShard: readonly {
    shard: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    wakeups: number;
    /** SIGSTOPped by the schedule: left out of the lateness verdict. */
    paused: boolean;
  }[];
  /** Lateness p99 allowed: fraction of the real gossip period. */
  readonly latenessLimitMs: number;
  /** Delta of RcvbufErrors in /proc/net/snmp over the run (system-wide). */
  readonly kernelDrops: number;
  /** Delta of InErrors in /proc/net/snmp (includes RcvbufErrors). */
  readonly kernelInErrors: number;
  /** Datagrams the proxy relayed that no member socket delivered (null: members' counts not measured). */
  readonly undelivered: number | null;
  /** Datagrams that reached members' private ports from outside the proxy (counted, dropped unread; null: not measured). */
  readonly foreign: number | null;
  /** First nominal time a stats interval's lateness p99 passed the limit (the run was overloaded from then), or null. */
  readonly overloadedAtMs: number | null;
  /** CPU cores the harness process (with its workers) kept busy on average. */
  readonly harnessCpuCores: number | null;
  /** CPU cores the proxy process kept busy on average. */
  readonly proxyCpuCores: number | null;
  /** Cores of the machine. */
  readonly cores: number;
  /** Whether harness + proxy used more than 90% of the cores. */
  readonly cpuSaturated: boolean;
  /** Resident memory of the harness process at the end. */
  readonly harnessRssBytes: number | null;
  /** Peak resident memory of the harness process. */
  readonly harnessPeakRssBytes: number | null;
  /** Resident memory of the proxy process at the end. */
  readonly proxyRssBytes: number | null;
  /** Peak resident memory of the proxy process. */
  readonly proxyPeakRssBytes: number | null;
  /** Per shard and stats interval: lateness p99 and max of that interval. */
  readonly timeline: readonly NoiseInterval[];
  /** Whether the run is faithful: the reasons list is empty. */
  readonly faithful: boolean;
  /** Why the run is not faithful (empty when it is). */
  readonly reasons: readonly string[];
}

/** Computes the noise floor and the faithfulness verdict. */
export function noise(record: RunRecord): Noise {
  const r = record.noise;
  const all = new Histogram();
  const excluded = new Set(r.excludedShards ?? []);
  const perShard = r.latenessByShard.map((data, shard) => {
    const h = new Histogram();
    h.merge(data);
    if (!excluded.has(shard)) all.merge(data);
    const s = h.summary();
    return {
      shard,
      p50Ms: s.p50,
      p99Ms: s.p99,
      maxMs: s.max,
      wakeups: s.count,
      paused: excluded.has(shard),
    };
  });
  const s = all.summary();
  const limit = record.faithfulLatenessFraction * record.periodMs /
    record.speedup;
  const received = record.totals.recvDatagrams;
  const delivered = received === null ? null : sum(received);
  const relayed = record.proxy ? sum(record.proxy.toMember) : delivered;
  const undelivered = delivered === null || relayed === null ? null : Math.max(0, relayed - delivered);
  const cores = r.cores;
  const harnessCores = r.harnessCpuMs === null ? null : r.harnessCpuMs / r.wallRealMs;
  const proxyCores = r.proxyCpuMs === null ? null : r.proxyCpuMs / r.wallRealMs;
  const totalCores = (harnessCores ?? 0) + (proxyCores ?? 0);
  const saturated = totalCores > 0.9 * cores;
  const reasons: string[] = [];
  if (s.p99 > limit) {
    reasons.push(
      `timer lateness p99 ${s.p99.toFixed(1)} ms exceeds ${limit.toFixed(1)} ms (${
        record.faithfulLatenessFraction * 100
      }% of the real gossip period)`,
    );
  }
  if (r.kernelRcvbufErrors > 0) {
    reasons.push(
      `${r.kernelRcvbufErrors} datagrams dropped by the kernel (RcvbufErrors)`,
    );
  }
  if (undelivered !== null && undelivered > 0) {
    reasons.push(
      `${undelivered} relayed datagrams never reached a member socket`,
    );
  }
  const foreign = record.totals.foreign === null ? null : sum(record.totals.foreign);
  if (foreign !== null && foreign > 0) {
    reasons.push(`${foreign} datagrams reached members from outside the proxy (foreign senders; dropped unread)`);
  }
  if (saturated) {
    reasons.push(
      `CPU saturated: ${totalCores.toFixed(2)} of ${cores} cores busy`,
    );
  }
  return {
    latenessP50Ms: s.p50,
    latenessP99Ms: s.p99,
    latenessMaxMs: s.max,
    latenessWakeups: s.count,
    perShard,
    latenessLimitMs: limit,
    kernelDrops: r.kernelRcvbufErrors,
    kernelInErrors: r.kernelInErrors,
    undelivered,
    foreign,
    overloadedAtMs: r.timeline.find((t) => t.latenessP99Ms > limit)?.atMs ?? null,
    harnessCpuCores: harnessCores,
    proxyCpuCores: proxyCores,
    cores,
    cpuSaturated: saturated,
    harnessRssBytes: r.harnessRssBytes,
    harnessPeakRssBytes: r.harnessPeakRssBytes,
    proxyRssBytes: r.proxyRssBytes,
    proxyPeakRssBytes: r.proxyPeakRssBytes,
    timeline: r.timeline,
    faithful: reasons.length === 0,
    reasons,
  };
}
