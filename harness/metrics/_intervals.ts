/**
 * Private helpers of the metrics: detector events grouped by (observer,
 * subject) pair, and down intervals indexed by member.
 *
 * @module
 */

import type { DetectorEventKind } from "../../lib/core/detector.ts";
import type { DownInterval, RecordedEvent, RunRecord } from "./record.ts";

/** Key of the ordered (observer, subject) pair in {@linkcode eventsByPair}'s map. */
export function pairKey(observer: number, subject: number): number {
  return observer * 1e6 + subject + 1;
}

/** Down intervals by member, and whether a member was down at t (open intervals last to the run's end). */
export function downIndex(record: RunRecord): {
  downsOf: Map<number, DownInterval[]>;
  isDown: (m: number, t: number) => boolean;
} {
  const end = record.durationMs;
  const downsOf = new Map<number, DownInterval[]>();
  for (const d of record.downs) (downsOf.get(d.member) ?? downsOf.set(d.member, []).get(d.member)!).push(d);
  const isDown = (m: number, t: number) => (downsOf.get(m) ?? []).some((d) => d.fromMs <= t && t < (d.toMs ?? end));
  return { downsOf, isDown };
}

const byPairCache = new WeakMap<readonly RecordedEvent[], Map<number, RecordedEvent[]>>();

/**
 * Every event by (observer, subject) pair ({@linkcode pairKey}), each list
 * sorted by time. Computed once per events array (several figures share it;
 * callers must not change the lists).
 */
export function eventsByPair(
  events: readonly RecordedEvent[],
): Map<number, RecordedEvent[]> {
  const cached = byPairCache.get(events);
  if (cached) return cached;
  const map = new Map<number, RecordedEvent[]>();
  byPairCache.set(events, map);
  for (const e of events) {
    const key = pairKey(e.observer, e.subject);
    let list = map.get(key);
    if (!list) map.set(key, list = []);
    list.push(e);
  }
  for (const list of map.values()) list.sort((a, b) => a.atMs - b.atMs);
  return map;
}

/** Whether an event of this kind has the observer trust the subject again (a T-transition). */
export function restoresTrust(kind: DetectorEventKind): boolean {
  return kind === "trusted" || kind === "joined";
}
