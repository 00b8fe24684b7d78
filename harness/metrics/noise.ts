/**
 * The noise floor (metrics.md "Noise floor"): timer lateness, kernel drops,
 * undelivered datagrams and CPU, and from them the verdict on whether a run
 * was faithful.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { sum } from "./_sums.ts";
import type { NoiseInterval, ProcessReading, RunRecord } from "./record.ts";

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
  /**
   * Datagrams the kernel dropped at the run's own sockets (members' and the
   * proxy's, per-socket counters) when measured; else the delta of
   * RcvbufErrors in /proc/net/snmp over the run (machine-wide).
   */
  readonly kernelDrops: number;
  /** Whether `kernelDrops` counts the run's own sockets (true) or the whole machine (false). */
  readonly kernelDropsPerSocket: boolean;
  /** Delta of RcvbufErrors in /proc/net/snmp over the run (machine-wide: other programs add to it). */
  readonly machineRcvbufErrors: number;
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
  /** (harness + proxy CPU) / datagrams the proxy relayed: the whole path's cost per datagram (µs), or null. */
  readonly cpuUsPerRelayedDatagram: number | null;
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
  /** Memory and CPU of the harness and the proxy over time (every 10 s of real time). */
  readonly readings: readonly ProcessReading[];
  /**
   * Fields above that do not apply to this run and are not judged (a
   * simulated run: lateness, kernel, CPU and memory figures; they read 0 or
   * null). Empty for a run on real sockets.
   */
  readonly notApplicable: readonly string[];
  /** Whether the run is faithful: the reasons list is empty. */
  readonly faithful: boolean;
  /** Why the run is not faithful (empty when it is). */
  readonly reasons: readonly string[];
}

/** What a simulated run does not measure (virtual time has no lateness; the host's kernel and CPU are not the run's). */
export const SIMULATED_NOT_APPLICABLE: readonly string[] = [
  "latenessP50Ms",
  "latenessP99Ms",
  "latenessMaxMs",
  "latenessWakeups",
  "perShard",
  "latenessLimitMs",
  "overloadedAtMs",
  "timeline",
  "readings",
  "kernelDrops",
  "kernelDropsPerSocket",
  "machineRcvbufErrors",
  "kernelInErrors",
  "harnessCpuCores",
  "proxyCpuCores",
  "cpuSaturated",
  "cpuUsPerRelayedDatagram",
  "harnessRssBytes",
  "harnessPeakRssBytes",
  "proxyRssBytes",
  "proxyPeakRssBytes",
];

/** Computes the noise floor and the faithfulness verdict. */
export function noise(record: RunRecord): Noise {
  if (record.noise.mode === "simulated") return simulatedNoise(record);
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
  const memberDrops = record.totals.kernelDrops;
  const proxyDrops = record.proxy?.kernelDrops ?? null;
  const perSocket = memberDrops !== null && proxyDrops !== null;
  const kernelDrops = perSocket ? sum(memberDrops) + sum(proxyDrops) : r.kernelRcvbufErrors;
  if (kernelDrops > 0) {
    reasons.push(
      perSocket
        ? `${kernelDrops} datagrams dropped by the kernel at the run's own sockets (receive buffers full)`
        : `${kernelDrops} datagrams dropped by the kernel (RcvbufErrors, machine-wide)`,
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
    kernelDrops,
    kernelDropsPerSocket: perSocket,
    machineRcvbufErrors: r.kernelRcvbufErrors,
    kernelInErrors: r.kernelInErrors,
    undelivered,
    foreign,
    overloadedAtMs: r.timeline.find((t) => t.latenessP99Ms > limit)?.atMs ?? null,
    harnessCpuCores: harnessCores,
    proxyCpuCores: proxyCores,
    cores,
    cpuSaturated: saturated,
    cpuUsPerRelayedDatagram:
      record.proxy && r.harnessCpuMs !== null && r.proxyCpuMs !== null && relayed !== null && relayed > 0
        ? ((r.harnessCpuMs + r.proxyCpuMs) * 1000) / relayed
        : null,
    harnessRssBytes: r.harnessRssBytes,
    harnessPeakRssBytes: r.harnessPeakRssBytes,
    proxyRssBytes: r.proxyRssBytes,
    proxyPeakRssBytes: r.proxyPeakRssBytes,
    timeline: r.timeline,
    readings: r.readings,
    notApplicable: [],
    faithful: reasons.length === 0,
    reasons,
  };
}

/** A simulated run's noise: only undelivered and foreign datagrams apply; the rest read 0 or null. */
function simulatedNoise(record: RunRecord): Noise {
  // The simulator counts every datagram, so its counters are never null.
  const delivered = sum(record.totals.recvDatagrams ?? []);
  const undelivered = Math.max(0, (record.proxy ? sum(record.proxy.toMember) : delivered) - delivered);
  const foreign = sum(record.totals.foreign ?? []);
  const reasons: string[] = [];
  if (undelivered > 0) reasons.push(`${undelivered} relayed datagrams never reached a member`);
  if (foreign > 0) reasons.push(`${foreign} datagrams reached members from outside the simulated proxy`);
  return {
    latenessP50Ms: 0,
    latenessP99Ms: 0,
    latenessMaxMs: 0,
    latenessWakeups: 0,
    perShard: [],
    latenessLimitMs: 0,
    kernelDrops: 0,
    kernelDropsPerSocket: false,
    machineRcvbufErrors: 0,
    kernelInErrors: 0,
    undelivered,
    foreign,
    overloadedAtMs: null,
    harnessCpuCores: null,
    proxyCpuCores: null,
    cores: record.noise.cores,
    cpuSaturated: false,
    cpuUsPerRelayedDatagram: null,
    harnessRssBytes: null,
    harnessPeakRssBytes: null,
    proxyRssBytes: null,
    proxyPeakRssBytes: null,
    timeline: [],
    readings: [],
    notApplicable: SIMULATED_NOT_APPLICABLE,
    faithful: reasons.length === 0,
    reasons,
  };
}
