/**
 * Figures of fleets of real programs (memberlist, Serf): each member's own
 * table at the end against what its events said, and what each member
 * process cost in CPU and memory.
 *
 * @module
 */

import type { RecordedEvent, RunRecord } from "./record.ts";

/** Each member's own table at the end against the state its events imply. */
export interface ViewReconciliation {
  /** (observer, subject) pairs compared. */
  readonly checked: number;
  /** Pairs where they agree. */
  readonly agree: number;
  /** Observers whose table was not read (killed or not answering at the end). */
  readonly notRead: number;
  /** Pairs where they disagree (up to 10 listed). */
  readonly disagreements: readonly {
    readonly observer: number;
    readonly subject: number;
    readonly table: string;
    readonly events: string;
  }[];
}

/**
 * Events up to this long after a table was read count as before it: an
 * event's line may reach the harness after the table that already shows it
 * (Serf's log stream and its RPC replies travel apart).
 */
const LINE_LAG_MS = 1000;

/** What the last of an observer's events says about a subject: alive unless it declared it failed or left. */
function stateFromEvents(events: readonly RecordedEvent[], until: number): "alive" | "failed" | "left" {
  let state: "alive" | "failed" | "left" = "alive";
  for (const e of events) {
    if (e.atMs > until) break;
    if (e.kind === "failed") state = "failed";
    else if (e.kind === "removed") state = "left";
    else if (e.kind === "trusted" || e.kind === "joined") state = "alive";
  }
  return state;
}

/** The state a table entry stands for: a suspect is still a member; a dead member may already be reaped. */
function tableState(state: string): "alive" | "failed" | "left" | "absent" | null {
  switch (state) {
    case "alive":
    case "suspect":
      return "alive";
    case "failed":
    case "left":
    case "absent":
      return state;
    default:
      return null; // unknown: not compared
  }
}

/** Compares every table read at the end with the events, or null when no table was read (harness-hosted members). */
export function reconcileViews(record: RunRecord): ViewReconciliation | null {
  const views = record.views;
  if (!views || views.every((v) => v === null)) return null;
  const byPair = new Map<number, RecordedEvent[]>();
  for (const e of record.events) {
    const key = e.observer * record.members + e.subject;
    if (e.subject >= 0) (byPair.get(key) ?? byPair.set(key, []).get(key)!).push(e);
  }
  for (const list of byPair.values()) list.sort((a, b) => a.atMs - b.atMs);
  let checked = 0;
  let agree = 0;
  const disagreements: ViewReconciliation["disagreements"][number][] = [];
  views.forEach((view, o) => {
    if (!view) return;
    view.states.forEach((raw, s) => {
      const table = tableState(raw);
      if (s === o || table === null) return;
      const events = stateFromEvents(byPair.get(o * record.members + s) ?? [], view.t + LINE_LAG_MS);
      checked++;
      // A member declared failed may have been reaped from the table (memberlist forgets the dead).
      const same = table === events || (table === "absent" && events !== "alive");
      if (same) agree++;
      else disagreements.push({ observer: o, subject: s, table: raw, events });
    });
  });
  return { checked, agree, notRead: views.filter((v) => v === null).length, disagreements: disagreements.slice(0, 10) };
}

/** CPU and memory of the member processes. */
export interface ProcessSummary {
  /** Processes read. */
  readonly processes: number;
  /** CPU cores each kept busy on average (CPU time / its lifetime): mean over processes. */
  readonly cpuCoresMean: number;
  /** The busiest process's. */
  readonly cpuCoresMax: number;
  /** Resident memory at the end: mean over processes. */
  readonly rssBytesMean: number;
  /** The largest. */
  readonly rssBytesMax: number;
  /** The largest peak resident memory. */
  readonly peakRssBytesMax: number;
}

/** The member processes' usage, or null when none was read. */
export function processSummary(record: RunRecord): ProcessSummary | null {
  const read = (record.processes ?? []).filter((u) => u !== null);
  if (read.length === 0) return null;
  const cores = read.map((u) => (u.wallMs > 0 ? u.cpuMs / u.wallMs : 0));
  const rss = read.map((u) => u.rssBytes);
  return {
    processes: read.length,
    cpuCoresMean: cores.reduce((a, b) => a + b, 0) / cores.length,
    cpuCoresMax: Math.max(...cores),
    rssBytesMean: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssBytesMax: Math.max(...rss),
    peakRssBytesMax: Math.max(...read.map((u) => u.peakRssBytes)),
  };
}
