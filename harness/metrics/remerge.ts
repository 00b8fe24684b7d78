/**
 * Re-merge (METRICS.md "Re-merge"): how the groups on either side of a
 * healed partition found each other again.
 *
 * @module
 */

import { quantile } from "../../lib/core/stats.ts";
import { downIndex, eventsByPair, pairKey, restoresTrust } from "./_intervals.ts";
import type { RunRecord } from "./record.ts";

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
  if (!record.partitions.some((p) => p.toMs !== null)) return [];
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
        else if (restoresTrust(e.kind)) failedBefore = false;
      }
      if (!failedBefore) continue;
      pairs++;
      const back = events.find((e) => e.atMs > heal && restoresTrust(e.kind));
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
