/**
 * Mistakes (metrics.md "Mistakes", METRICS.md "Attribution window"): every
 * S-transition classified as a fault detection, an isolated observer's, a
 * partition's, or a mistake, with the pair exposure that makes a rate of it.
 *
 * @module
 */

import { type Interval, poissonInterval } from "../../lib/core/stats.ts";
import { downIndex, eventsByPair, restoresTrust } from "./_intervals.ts";
import type { RunRecord } from "./record.ts";

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
  /**
   * The mistakes split by who was slow (the slow-member fault) in the
   * silence before each: about a slow member, by a slow observer about a
   * member that was not slow, and among members neither of which was slow
   * (Lifeguard's false positives about healthy members are the last two).
   */
  readonly bySlowness: {
    readonly aboutSlow: number;
    readonly bySlowObserver: number;
    readonly amongHealthy: number;
  };
}

/**
 * Classifies every S-transition by o about x at t. The silence that caused
 * it is the window [t - T_fail, t]: if x was down during it, it is a fault
 * detection; if o was down at t, an isolated-observer detection; if the
 * link x→o was cut by a partition during it, a partition detection;
 * otherwise a mistake. `onMistake`, when given, sees every mistake.
 */
export function mistakes(
  record: RunRecord,
  onMistake?: (observer: number, subject: number, atMs: number) => void,
): Mistakes {
  const end = record.durationMs;
  const n = record.members;
  const { downsOf, isDown } = downIndex(record);
  const downDuring = (m: number, from: number, to: number) =>
    (downsOf.get(m) ?? []).some((d) => d.fromMs <= to && (d.toMs ?? end) > from);
  const slowDuring = (m: number, from: number, to: number) =>
    (record.slows ?? []).some((d) => d.member === m && d.fromMs <= to && (d.toMs ?? end) > from);
  let aboutSlow = 0;
  let bySlowObserver = 0;
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
          if (slowDuring(e.subject, from, e.atMs)) aboutSlow++;
          else if (slowDuring(e.observer, from, e.atMs)) bySlowObserver++;
          onMistake?.(e.observer, e.subject, e.atMs);
        }
      } else if (restoresTrust(e.kind) && openAt !== undefined) {
        corrected++;
        durations.push(e.atMs - openAt);
        wrongMs += e.atMs - openAt;
        openAt = undefined;
      }
    }
    if (openAt !== undefined) wrongMs += Math.max(0, end - openAt);
  }
  // Pair exposure: sum over ordered pairs of the time both were up.
  const downSpans = (m: number) =>
    (downsOf.get(m) ?? []).map((d) => [d.fromMs, Math.min(end, d.toMs ?? end)] as [number, number]);
  let downTotal = 0;
  for (const m of downsOf.keys()) downTotal += unionLength(downSpans(m));
  let bothDown = 0;
  const faulty = [...downsOf.keys()];
  for (const a of faulty) {
    for (const b of faulty) {
      if (a === b) continue;
      bothDown += intersectionLength(downSpans(a), downSpans(b));
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
    bySlowness: { aboutSlow, bySlowObserver, amongHealthy: count - aboutSlow - bySlowObserver },
  };
}

/** Total length covered by `intervals` ([from, to] each), overlaps counted once. */
function unionLength(intervals: readonly (readonly [number, number])[]): number {
  const sorted = intervals.map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
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

/** Total length of the pairwise overlaps of `a`'s and `b`'s intervals. */
function intersectionLength(a: readonly [number, number][], b: readonly [number, number][]): number {
  let total = 0;
  for (const [a0, a1] of a) for (const [b0, b1] of b) total += Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  return total;
}
