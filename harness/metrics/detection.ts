/**
 * Detection (metrics.md "Detection"): how long after each fault that took
 * a member down the live observers detected it, and the spread of a
 * detection figure across faults.
 *
 * @module
 */

import { quantile } from "../../lib/core/stats.ts";
import { eventsByPair, pairKey, restoresTrust } from "./_intervals.ts";
import type { DownInterval, RunRecord } from "./record.ts";

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
    /**
     * The first suspicion of it by a live observer after the fault (nominal ms
     * after it; `suspected` events, so null for detectors that do not suspect).
     */
    readonly firstSuspicionMs: number | null;
  };
}

/**
 * Detection latency for every down interval: each observer's t_detect is
 * its last S-transition within the interval after which it did not trust
 * the member again within the interval.
 */
export function detectionPerCrash(record: RunRecord): CrashDetection[] {
  if (record.downs.length === 0) return [];
  const byPair = eventsByPair(record.events);
  const end = record.durationMs;
  return record.downs.map((d) => {
    const to = d.toMs ?? end;
    const latencies: number[] = [];
    let observers = 0;
    let firstSuspicion: number | null = null;
    for (let o = 0; o < record.members; o++) {
      if (o === d.member || record.downs.some((x) => x.member === o && x.fromMs < to && (x.toMs ?? end) > d.fromMs)) {
        continue;
      }
      observers++;
      let detectAt: number | undefined;
      for (const e of byPair.get(pairKey(o, d.member)) ?? []) {
        if (e.atMs >= to) break;
        if (e.kind === "suspected" && e.atMs >= d.fromMs && (firstSuspicion === null || e.atMs < firstSuspicion)) {
          firstSuspicion = e.atMs;
        }
        if (e.kind === "failed") detectAt = e.atMs;
        else if (restoresTrust(e.kind) && e.atMs >= d.fromMs) detectAt = undefined;
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
        firstSuspicionMs: firstSuspicion === null ? null : firstSuspicion - d.fromMs,
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
