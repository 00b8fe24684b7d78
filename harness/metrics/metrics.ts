/**
 * Every figure a run reports, as pure functions of what the run recorded:
 * detector events members actually emitted, bytes their sockets actually
 * took, the proxy's own counts, and the noise readings. Definitions follow
 * `metrics.md` (see METRICS.md beside this file for the ones this project adds).
 *
 * All times are nominal milliseconds unless named `...RealMs`.
 *
 * @module
 */

import { HEADER_BYTES } from "../../lib/core/wire.ts";
import { Histogram, type HistogramData } from "../../lib/core/histogram.ts";
import { type Interval, poissonInterval, quantile } from "../../lib/core/stats.ts";
import type { DetectorEventKind } from "../../lib/core/detector.ts";
import type { ProxyCounters } from "../proxy/books.ts";

/** IPv4 (20 bytes) + UDP (8 bytes) headers per datagram. */
export const IPV4_UDP_HEADER_BYTES = 28;

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

/** Cumulative per-member counters, by global member index. */
export interface MemberTotals {
  readonly sentBytes: readonly number[];
  readonly sentDatagrams: readonly number[];
  readonly recvBytes: readonly number[];
  readonly recvDatagrams: readonly number[];
  readonly malformed: readonly number[];
  readonly sendErrors: readonly number[];
}

/** A sample of every member's cumulative sent bytes at one instant. */
export interface BandwidthSample {
  readonly atMs: number;
  readonly sentBytes: readonly number[];
}

/** Everything the metrics are computed from. */
export interface RunRecord {
  readonly members: number;
  /** Nominal length of the measured run (start to quiesce). */
  readonly durationMs: number;
  readonly speedup: number;
  /** The detector's period (T_gossip, T', the ping period): lateness is judged against it. */
  readonly periodMs: number;
  readonly budgetBytesPerSec: number;
  /** When members were down (crash by proxy, kill, pause, failed from the start). */
  readonly downs: readonly DownInterval[];
  /** When partitions were in place, with their cut links. */
  readonly partitions: readonly PartitionInterval[];
  /** The silence that ends in a detection (T_fail, SWIM's suspicion timeout + 2 T'): attributes a detection to a fault. */
  readonly silenceMs: number;
  readonly events: readonly RecordedEvent[];
  readonly totals: MemberTotals;
  /** Sample series, one per shard (each sample covers that shard's members). */
  readonly samples: readonly (readonly BandwidthSample[])[];
  readonly proxy: ProxyCounters | null;
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

/** Raw noise readings of a run. */
export interface NoiseReadings {
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
}

/** Detection of one fault that took a member down (metrics.md "Detection"). */
export interface CrashDetection {
  /** Member index. */
  readonly member: number;
  /** When it went down (nominal ms). */
  readonly atMs: number;
  /** When it came back (nominal ms), or null. */
  readonly endMs: number | null;
  /** What took it down. */
  readonly cause: DownInterval["cause"];
  /** Latencies after the fault (nominal ms) over observers that were up the whole interval. */
  readonly detection: {
    readonly firstMs: number | null;
    readonly medianMs: number | null;
    readonly p99Ms: number | null;
    /** Max over live observers; null unless every live observer detected it. */
    readonly fullMs: number | null;
    readonly detectedFraction: number;
    readonly observers: number;
    readonly detected: number;
    /** Every detecting observer's latency, sorted (for distribution comparisons). */
    readonly latenciesMs: readonly number[];
  };
}

/**
 * Detection latency for every down interval: each observer's t_detect is
 * its last S-transition within the interval after which it did not trust
 * the member again within the interval.
 */
export function detectionPerCrash(record: RunRecord): CrashDetection[] {
  const byPair = eventsByPair(record.events);
  const end = record.durationMs;
  return record.downs.map((d) => {
    const to = d.toMs ?? end;
    const latencies: number[] = [];
    let observers = 0;
    for (let o = 0; o < record.members; o++) {
      if (o === d.member || record.downs.some((x) => x.member === o && x.fromMs < to && (x.toMs ?? end) > d.fromMs)) {
        continue;
      }
      observers++;
      let detectAt: number | undefined;
      for (const e of byPair.get(pairKey(o, d.member)) ?? []) {
        if (e.atMs >= to) break;
        if (e.kind === "failed") detectAt = e.atMs;
        else if ((e.kind === "trusted" || e.kind === "joined") && e.atMs >= d.fromMs) detectAt = undefined;
      }
      if (detectAt !== undefined) latencies.push(Math.max(0, detectAt - d.fromMs));
    }
    latencies.sort((a, b) => a - b);
    const detected = latencies.length;
    return {
      member: d.member,
      atMs: d.fromMs,
      endMs: d.toMs,
      cause: d.cause,
      detection: {
        firstMs: latencies[0] ?? null,
        medianMs: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        fullMs: detected === observers && detected > 0 ? latencies[detected - 1]! : null,
        detectedFraction: observers === 0 ? 0 : detected / observers,
        observers,
        detected,
        latenciesMs: latencies,
      },
    };
  });
}

/** Distribution over crashes of one detection figure. */
export interface Spread {
  /** Smallest value over crashes. */
  readonly min: number | null;
  /** Median over crashes. */
  readonly median: number | null;
  /** 99th percentile over crashes. */
  readonly p99: number | null;
  /** Largest value over crashes. */
  readonly max: number | null;
}

/** Spread of a detection figure across crashes (nulls, i.e. undetected, excluded and counted apart). */
export function spread(values: readonly (number | null)[]): Spread {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) {
    return { min: null, median: null, p99: null, max: null };
  }
  return {
    min: Math.min(...present),
    median: quantile(present, 0.5),
    p99: quantile(present, 0.99),
    max: Math.max(...present),
  };
}

/** Mistakes (metrics.md "Mistakes"). */
export interface Mistakes {
  /** S-transitions about a member that was up and reachable by the observer (see METRICS.md). */
  readonly count: number;
  /** Ordered (observer, subject) pairs times hours during which both were up. */
  readonly pairHours: number;
  /** Mistakes per pair-hour. */
  readonly perPairHour: number;
  /** 95% interval of perPairHour (exact Poisson); with 0 mistakes, [0, upper bound]. */
  readonly ci95: Interval;
  /** How the intervals were computed. */
  readonly ciMethod: "poisson-exact";
  /** Hours each member was up, summed over members. */
  readonly memberHours: number;
  /** Mistakes per subject-hour (mistakes about x summed over observers). */
  readonly perMemberHour: number;
  /** 95% interval of perMemberHour (exact Poisson). */
  readonly perMemberHourCi95: Interval;
  /** Mistakes later corrected by a T-transition. */
  readonly corrected: number;
  /** Mean time from a mistake to its refutation, T_M (null when none was refuted). */
  readonly meanDurationMs: number | null;
  /** Fraction of pair-time spent in a correct state (direct estimate of P_A). */
  readonly queryAccuracy: number;
  /** S-transitions by an observer that was itself down (crashed, killed, paused) at the time or during the silence before it. */
  readonly isolatedObserverDetections: number;
  /** S-transitions about a member whose silence overlapped its own down time (true detections). */
  readonly faultDetections: number;
  /** S-transitions across an injected partition: counted apart, neither mistakes nor true detections. */
  readonly partitionDetections: number;
  /** S-transitions about an address that is no member's. */
  readonly unknownSubjectDetections: number;
}

/**
 * Classifies every S-transition by o about x at t. The silence that caused
 * it is the window [t - T_fail, t]: if x was down during it, it is a fault
 * detection; if o was down at t, an isolated-observer detection; if the
 * link x→o was cut by a partition during it, a partition detection;
 * otherwise a mistake.
 */
export function mistakes(record: RunRecord): Mistakes {
  const end = record.durationMs;
  const n = record.members;
  const { downsOf, isDown } = downIndex(record);
  const downDuring = (m: number, from: number, to: number) =>
    (downsOf.get(m) ?? []).some((d) => d.fromMs <= to && (d.toMs ?? end) > from);
  const cutDuring = (x: number, o: number, from: number, to: number) =>
    record.partitions.some((p) => p.fromMs <= to && (p.toMs ?? end) > from && p.cuts.includes(x * n + o));
  let count = 0;
  let isolated = 0;
  let fault = 0;
  let partition = 0;
  let unknown = 0;
  let corrected = 0;
  let wrongMs = 0;
  const durations: number[] = [];
  for (const [, events] of eventsByPair(record.events)) {
    let openAt: number | undefined;
    for (const e of events) {
      if (e.subject < 0) {
        if (e.kind === "failed") unknown++;
        continue;
      }
      if (e.kind === "failed") {
        const from = e.atMs - record.silenceMs;
        // The observer's own outage in the window (a member just resumed from a pause, or back
        // from a black hole, suspects everyone it did not hear from) is not a mistake about x.
        if (isDown(e.observer, e.atMs) || downDuring(e.observer, from, e.atMs)) isolated++;
        else if (downDuring(e.subject, from, e.atMs)) fault++;
        else if (cutDuring(e.subject, e.observer, from, e.atMs)) partition++;
        else {
          count++;
          openAt = e.atMs;
        }
      } else if ((e.kind === "trusted" || e.kind === "joined") && openAt !== undefined) {
        corrected++;
        durations.push(e.atMs - openAt);
        wrongMs += e.atMs - openAt;
        openAt = undefined;
      }
    }
    if (openAt !== undefined) wrongMs += Math.max(0, end - openAt);
  }
  // Pair exposure: sum over ordered pairs of the time both were up.
  const downLength = (m: number) =>
    unionLength((downsOf.get(m) ?? []).map((d) => [d.fromMs, Math.min(end, d.toMs ?? end)]));
  let downTotal = 0;
  for (const m of downsOf.keys()) downTotal += downLength(m);
  let bothDown = 0;
  const faulty = [...downsOf.keys()];
  for (const a of faulty) {
    for (const b of faulty) {
      if (a === b) continue;
      const la = (downsOf.get(a) ?? []).map((d) => [d.fromMs, Math.min(end, d.toMs ?? end)] as [number, number]);
      const lb = (downsOf.get(b) ?? []).map((d) => [d.fromMs, Math.min(end, d.toMs ?? end)] as [number, number]);
      bothDown += intersectionLength(la, lb);
    }
  }
  const pairMs = Math.max(0, n * (n - 1) * end - 2 * (n - 1) * downTotal + bothDown);
  const memberMs = Math.max(0, n * end - downTotal);
  const pairHours = pairMs / 3_600_000;
  const memberHours = memberMs / 3_600_000;
  const [lo, hi] = poissonInterval(count);
  return {
    count,
    pairHours,
    perPairHour: pairHours > 0 ? count / pairHours : 0,
    ci95: pairHours > 0 ? [lo / pairHours, hi / pairHours] : [0, Infinity],
    ciMethod: "poisson-exact",
    memberHours,
    perMemberHour: memberHours > 0 ? count / memberHours : 0,
    perMemberHourCi95: memberHours > 0 ? [lo / memberHours, hi / memberHours] : [0, Infinity],
    corrected,
    meanDurationMs: durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : null,
    queryAccuracy: pairMs > 0 ? 1 - wrongMs / pairMs : 1,
    isolatedObserverDetections: isolated,
    faultDetections: fault,
    partitionDetections: partition,
    unknownSubjectDetections: unknown,
  };
}

function unionLength(intervals: readonly (readonly number[])[]): number {
  const sorted = intervals.map(([a, b]) => [a!, b!] as [number, number]).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [a, b] of sorted) {
    if (!cur || a > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    } else cur[1] = Math.max(cur[1], b);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

function intersectionLength(a: readonly [number, number][], b: readonly [number, number][]): number {
  let total = 0;
  for (const [a0, a1] of a) for (const [b0, b1] of b) total += Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  return total;
}

/** Bandwidth (metrics.md "Bandwidth"), per nominal second. */
export interface Bandwidth {
  /** The budget B the run was configured with. */
  readonly budgetBytesPerSec: number;
  /** UDP payload handed to the socket, mean over members. */
  readonly meanBytesPerSec: number;
  /** Highest member's payload rate over the whole run. */
  readonly maxBytesPerSec: number;
  /** Lowest member's payload rate over the whole run. */
  readonly minBytesPerSec: number;
  /** Median member's payload rate. */
  readonly p50BytesPerSec: number;
  /** Entry bytes only (payload minus the 8-byte message header): the paper's 8n accounting. */
  readonly meanEntryBytesPerSec: number;
  /** With 28 bytes of IPv4/UDP header per datagram. */
  readonly meanWireBytesPerSec: number;
  /** Highest member's rate with IPv4/UDP headers. */
  readonly maxWireBytesPerSec: number;
  /** mean / budget and max / budget (payload). */
  readonly meanBudgetRatio: number;
  /** maxBytesPerSec / budget. */
  readonly maxBudgetRatio: number;
  /** Window over which the per-member peak is taken (nominal ms). */
  readonly windowMs: number;
  /** Highest payload rate of any member over any window of windowMs. */
  readonly maxWindowBytesPerSec: number | null;
  /** Whether any member's whole-run or windowed payload rate exceeded the budget. */
  readonly exceeded: boolean;
  /** Members whose whole-run payload rate exceeded the budget. */
  readonly membersOverBudget: number;
  /** Received payload bytes per member per second, mean. */
  readonly meanRecvBytesPerSec: number;
  /** Received payload bytes per second of the busiest receiver. */
  readonly maxRecvBytesPerSec: number;
  /** Datagrams sent per member per second, mean. */
  readonly meanDatagramsPerSec: number;
  /** Every member's payload rate, by member index (for plots and distributions). */
  readonly perMemberBytesPerSec: readonly number[];
}

/** Computes bandwidth from the sockets' byte counts. */
export function bandwidth(record: RunRecord): Bandwidth {
  const seconds = record.durationMs / 1000;
  const t = record.totals;
  const rates = t.sentBytes.map((b) => b / seconds);
  const wire = t.sentBytes.map((b, i) => (b + IPV4_UDP_HEADER_BYTES * t.sentDatagrams[i]!) / seconds);
  const recv = t.recvBytes.map((b) => b / seconds);
  const mean = (xs: readonly number[]) => xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
  const windowMs = Math.max(10 * record.periodMs, 10_000);
  const windowRates = record.samples.map((series) => maxWindowRate(series, windowMs)).filter((r) => r !== null);
  const maxWindow = windowRates.length > 0 ? Math.max(...windowRates) : null;
  const budget = record.budgetBytesPerSec;
  const over = rates.filter((r) => r > budget).length;
  return {
    budgetBytesPerSec: budget,
    meanBytesPerSec: mean(rates),
    maxBytesPerSec: Math.max(0, ...rates),
    minBytesPerSec: rates.length ? Math.min(...rates) : 0,
    p50BytesPerSec: quantile(rates, 0.5) ?? 0,
    meanEntryBytesPerSec: mean(
      t.sentBytes.map((b, i) => (b - HEADER_BYTES * t.sentDatagrams[i]!) / seconds),
    ),
    meanWireBytesPerSec: mean(wire),
    maxWireBytesPerSec: Math.max(0, ...wire),
    meanBudgetRatio: mean(rates) / budget,
    maxBudgetRatio: Math.max(0, ...rates) / budget,
    windowMs,
    maxWindowBytesPerSec: maxWindow,
    exceeded: over > 0 || (maxWindow !== null && maxWindow > budget),
    membersOverBudget: over,
    meanRecvBytesPerSec: mean(recv),
    maxRecvBytesPerSec: Math.max(0, ...recv),
    meanDatagramsPerSec: mean(t.sentDatagrams.map((d) => d / seconds)),
    perMemberBytesPerSec: rates,
  };
}

/**
 * Highest per-member payload rate over any span of at least `windowMs`
 * between two samples (null when the run is shorter than the window).
 */
export function maxWindowRate(
  samples: readonly BandwidthSample[],
  windowMs: number,
): number | null {
  let best: number | null = null;
  let i = 0;
  for (let j = 0; j < samples.length; j++) {
    while (i + 1 < j && samples[j]!.atMs - samples[i + 1]!.atMs >= windowMs) {
      i++;
    }
    const span = samples[j]!.atMs - samples[i]!.atMs;
    if (span < windowMs) continue;
    const a = samples[i]!.sentBytes;
    const b = samples[j]!.sentBytes;
    for (let m = 0; m < b.length; m++) {
      const rate = ((b[m]! - (a[m] ?? 0)) / span) * 1000;
      if (best === null || rate > best) best = rate;
    }
  }
  return best;
}

/** Proxy reconciliation: the proxy's counts against the members'. */
export interface ProxyReport {
  /** Copies delivered to member sockets. */
  readonly relayed: number;
  /** Dropped by impairment rules. */
  readonly lost: number;
  /** Dropped because an end was black-holed (crash by proxy). */
  readonly blackholed: number;
  /** Dropped by partition cuts. */
  readonly partitioned: number;
  /** Addressed to a killed member. */
  readonly toDead: number;
  /** Extra copies made by duplication. */
  readonly duplicated: number;
  /** Relay sends that failed. */
  readonly sendErrors: number;
  /** Copies still in the delay queue when counted. */
  readonly delayedPending: number;
  /** Copies discarded from the delay queue (or in flight) when the proxy closed. */
  readonly discarded: number;
  /** Datagrams from addresses that are no member's (dropped). */
  readonly unknownSource: number;
  /** Fraction of datagrams that met the rules and were dropped by them. */
  readonly measuredLoss: number;
  /** Per rule: what it did. */
  readonly rules: ProxyCounters["rules"];
  /** Every member's sent datagrams equal what the proxy received from it. */
  readonly sentReconciles: boolean;
  /** Every member's received datagrams equal what the proxy delivered to it. */
  readonly receivedReconciles: boolean;
  /**
   * The proxy's own books balance: every datagram received was black-holed,
   * partitioned, dropped or accepted, and every accepted copy was delivered,
   * failed, still delayed, or discarded at close.
   */
  readonly balances: boolean;
  /** Members whose counts disagree (up to 10 listed). */
  readonly mismatches: readonly { member: number; field: string; members: number; proxy: number }[];
}

/** Reconciles the proxy's counts with the members' and with themselves. */
export function proxyReport(record: RunRecord): ProxyReport | null {
  const p = record.proxy;
  if (!p) return null;
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const mismatches: { member: number; field: string; members: number; proxy: number }[] = [];
  let sentOk = true;
  let recvOk = true;
  let balances = true;
  for (let m = 0; m < record.members; m++) {
    const fromMember = p.fromMember[m]! + (p.broadcastFrom?.[m] ?? 0);
    if (record.totals.sentDatagrams[m] !== fromMember) {
      sentOk = false;
      mismatches.push({
        member: m,
        field: "sentDatagrams",
        members: record.totals.sentDatagrams[m]!,
        proxy: fromMember,
      });
    }
    if (record.totals.recvDatagrams[m] !== p.toMember[m]) {
      recvOk = false;
      mismatches.push({
        member: m,
        field: "recvDatagrams",
        members: record.totals.recvDatagrams[m]!,
        proxy: p.toMember[m]!,
      });
    }
    const judged = p.lostFrom[m]! + p.blackholedFrom[m]! + p.deadFrom[m]! + p.partitionedFrom[m]! +
      p.acceptedFrom[m]!;
    // A broadcast is one datagram from the member and one judged copy per other subnet member.
    if (judged !== p.fromMember[m]! + (p.fannedOutFrom?.[m] ?? 0)) balances = false;
  }
  const copies = sum(p.acceptedFrom) + sum(p.duplicatedFrom);
  if (copies !== sum(p.toMember) + sum(p.sendErrorsFrom) + p.delayedPending + p.discarded) balances = false;
  const relayed = sum(p.toMember);
  const lost = sum(p.lostFrom);
  return {
    relayed,
    lost,
    blackholed: sum(p.blackholedFrom),
    partitioned: sum(p.partitionedFrom),
    toDead: sum(p.deadFrom),
    duplicated: sum(p.duplicatedFrom),
    sendErrors: sum(p.sendErrorsFrom),
    delayedPending: p.delayedPending,
    discarded: p.discarded,
    unknownSource: p.unknownSource,
    measuredLoss: lost + sum(p.acceptedFrom) > 0 ? lost / (lost + sum(p.acceptedFrom)) : 0,
    rules: p.rules,
    sentReconciles: sentOk,
    receivedReconciles: recvOk,
    balances,
    mismatches: mismatches.slice(0, 10),
  };
}

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
  /** Datagrams the proxy relayed that no member socket delivered. */
  readonly undelivered: number;
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
  const delivered = record.totals.recvDatagrams.reduce((a, b) => a + b, 0);
  const relayed = record.proxy ? record.proxy.toMember.reduce((a, b) => a + b, 0) : delivered;
  const undelivered = Math.max(0, relayed - delivered);
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
  if (undelivered > 0) {
    reasons.push(
      `${undelivered} relayed datagrams never reached a member socket`,
    );
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

function pairKey(observer: number, subject: number): number {
  return observer * 1e6 + subject + 1;
}

/** Down intervals by member, and whether a member was down at t (open intervals last to the run's end). */
function downIndex(record: RunRecord): {
  downsOf: Map<number, DownInterval[]>;
  isDown: (m: number, t: number) => boolean;
} {
  const end = record.durationMs;
  const downsOf = new Map<number, DownInterval[]>();
  for (const d of record.downs) (downsOf.get(d.member) ?? downsOf.set(d.member, []).get(d.member)!).push(d);
  const isDown = (m: number, t: number) => (downsOf.get(m) ?? []).some((d) => d.fromMs <= t && t < (d.toMs ?? end));
  return { downsOf, isDown };
}

function eventsByPair(
  events: readonly RecordedEvent[],
): Map<number, RecordedEvent[]> {
  const map = new Map<number, RecordedEvent[]>();
  for (const e of events) {
    const key = pairKey(e.observer, e.subject);
    let list = map.get(key);
    if (!list) map.set(key, list = []);
    list.push(e);
  }
  for (const list of map.values()) list.sort((a, b) => a.atMs - b.atMs);
  return map;
}

/** Bytes by the level of the topology they cross (METRICS.md "Per-level bandwidth"). */
export interface LevelBandwidth {
  /** Subnets and domains of the run. */
  readonly subnets: number;
  /** Domains. */
  readonly domains: number;
  /** Unicast payload per member per nominal second that stayed inside the sender's subnet. */
  readonly withinSubnetBytesPerSec: number;
  /** ... that went to another subnet of the sender's domain. */
  readonly crossSubnetBytesPerSec: number;
  /** ... that went to another domain. */
  readonly crossDomainBytesPerSec: number;
  /** Per subnet: unicast payload per second leaving it for any other subnet (a router's load). */
  readonly subnetOutBytesPerSec: { readonly mean: number; readonly max: number };
  /** Per domain: unicast payload per second leaving it for another domain. */
  readonly domainOutBytesPerSec: { readonly mean: number; readonly max: number };
}

/** Per-level bandwidth from the proxy's counts (what members actually sent, classified by destination). */
export function levelBandwidth(
  record: RunRecord,
  levels: { readonly subnet: readonly number[]; readonly domain: readonly number[] },
): LevelBandwidth | null {
  const p = record.proxy;
  if (!p || !p.crossSubnetBytesFrom || !p.crossDomainBytesFrom) return null;
  const seconds = record.durationMs / 1000;
  const n = record.members;
  const subnets = new Map<number, number>();
  const domains = new Map<number, number>();
  let within = 0;
  let crossSubnet = 0;
  let crossDomain = 0;
  for (let i = 0; i < n; i++) {
    const cs = p.crossSubnetBytesFrom[i]!;
    const cd = p.crossDomainBytesFrom[i]!;
    within += p.fromMemberBytes[i]! - cs - cd;
    crossSubnet += cs;
    crossDomain += cd;
    subnets.set(levels.subnet[i]!, (subnets.get(levels.subnet[i]!) ?? 0) + cs + cd);
    domains.set(levels.domain[i]!, (domains.get(levels.domain[i]!) ?? 0) + cd);
  }
  const stat = (m: Map<number, number>) => {
    const xs = [...m.values()].map((b) => b / seconds);
    return { mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), max: Math.max(0, ...xs) };
  };
  return {
    subnets: subnets.size,
    domains: domains.size,
    withinSubnetBytesPerSec: within / n / seconds,
    crossSubnetBytesPerSec: crossSubnet / n / seconds,
    crossDomainBytesPerSec: crossDomain / n / seconds,
    subnetOutBytesPerSec: stat(subnets),
    domainOutBytesPerSec: stat(domains),
  };
}

/** Catastrophe-recovery broadcasts as the proxy saw them (METRICS.md "Broadcasts"). */
export interface BroadcastReport {
  /** Broadcast datagrams members sent. */
  readonly broadcasts: number;
  /** Copies the proxy fanned them out to (before loss, partitions and black holes). */
  readonly copies: number;
  /** Nominal seconds of run per broadcast, per subnet (the group's mean interval when there is one subnet). */
  readonly meanIntervalSeconds: number | null;
  /** Broadcast payload per member per nominal second (sent, not fanned out). */
  readonly bytesPerSec: number;
}

/** Counts broadcasts from the proxy's counters. */
export function broadcastReport(record: RunRecord, subnets: number): BroadcastReport | null {
  const p = record.proxy;
  if (!p || !p.broadcastFrom) return null;
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const broadcasts = sum(p.broadcastFrom);
  const seconds = record.durationMs / 1000;
  return {
    broadcasts,
    copies: sum(p.fannedOutFrom ?? []),
    meanIntervalSeconds: broadcasts > 0 ? (seconds * subnets) / broadcasts : null,
    bytesPerSec: sum(p.broadcastBytesFrom ?? []) / record.members / seconds,
  };
}

/** How the groups on either side of a healed partition found each other again (METRICS.md "Re-merge"). */
export interface Remerge {
  /** When the partition was healed (nominal ms). */
  readonly healedAtMs: number;
  /** Partition label. */
  readonly label: string;
  /** Ordered (observer, subject) pairs across a cut link, both up at the heal, where the observer held the subject failed or had forgotten it. */
  readonly pairs: number;
  /** Of those, pairs where the observer trusted (or re-learned) the subject before the run ended. */
  readonly remerged: number;
  /** Median time from the heal to a pair's re-merge (ms), over re-merged pairs. */
  readonly medianMs: number | null;
  /** Time until every such pair had re-merged (ms), or null if some never did. */
  readonly fullMs: number | null;
}

/** Re-merge after every healed partition. */
export function remerges(record: RunRecord): Remerge[] {
  const n = record.members;
  const byPair = eventsByPair(record.events);
  const { isDown } = downIndex(record);
  const out: Remerge[] = [];
  for (const p of record.partitions) {
    if (p.toMs === null) continue;
    const heal = p.toMs;
    const delays: number[] = [];
    let pairs = 0;
    for (const link of p.cuts) {
      const subject = Math.floor(link / n);
      const observer = link % n;
      if (isDown(subject, heal) || isDown(observer, heal)) continue;
      const events = byPair.get(pairKey(observer, subject)) ?? [];
      let failedBefore = false;
      for (const e of events) {
        if (e.atMs > heal) break;
        if (e.kind === "failed" || e.kind === "removed") failedBefore = true;
        else if (e.kind === "trusted" || e.kind === "joined") failedBefore = false;
      }
      if (!failedBefore) continue;
      pairs++;
      const back = events.find((e) => e.atMs > heal && (e.kind === "trusted" || e.kind === "joined"));
      if (back) delays.push(back.atMs - heal);
    }
    if (pairs === 0) continue;
    delays.sort((a, b) => a - b);
    out.push({
      healedAtMs: heal,
      label: p.label,
      pairs,
      remerged: delays.length,
      medianMs: quantile(delays, 0.5),
      fullMs: delays.length === pairs ? delays[delays.length - 1]! : null,
    });
  }
  return out;
}
