/**
 * What real members report, turned into the harness's detector events.
 * Pure: no I/O, no clock.
 *
 * A real member says one of four things about another (its launcher reads
 * them from the memberlist driver's JSON lines or a Serf agent's monitor):
 *
 * - `alive`: memberlist's join or update (the driver's `join`/`update`
 *   lines, Serf's `EventMemberJoin`). The first one about a subject is a
 *   `joined`; one after that subject was declared failed is a `trusted`
 *   (memberlist reports a refuted death or a rejoin as a join); any other is
 *   no transition.
 * - `failed`: memberlist declared the subject dead (the driver's `leave`
 *   with state `failed`, Serf's `EventMemberFailed`): a `failed`, once per
 *   death.
 * - `suspected`: this member's own probe of the subject failed (memberlist's
 *   log line "Suspect X has failed, no acks received", repeated at every
 *   failed probe). Suspicions a member learns by gossip leave no trace
 *   outside its table, so they are not seen; `suspected` events therefore
 *   count the suspicions each observer raised itself, not every one it held.
 * - `left`: a graceful leave (`removed`).
 *
 * @module
 */

import type { DetectorEventKind } from "../../lib/core/detector.ts";

/** What a real member reported about another. */
export type MemberReport = "alive" | "failed" | "suspected" | "left";

/** A member's state in a real member's own table, normalised over memberlist and Serf. */
export type ViewState = "alive" | "suspect" | "failed" | "left" | "absent" | "unknown";

/**
 * Turns reports into detector events for `n` members, per (observer,
 * subject) pair: what each observer has said so far decides whether a report
 * is a transition.
 */
export class ReportMapper {
  readonly #n: number;
  /** 0 never heard of, 1 alive, 2 failed, 3 left, per pair. */
  readonly #state: Uint8Array;

  /** A mapper for `n` members. */
  constructor(n: number) {
    this.#n = n;
    this.#state = new Uint8Array(n * n);
  }

  /** The event `report` by `observer` about `subject` is, or null when it is no transition. */
  map(observer: number, subject: number, report: MemberReport): DetectorEventKind | null {
    if (observer === subject || subject < 0 || subject >= this.#n || observer < 0 || observer >= this.#n) return null;
    const pair = observer * this.#n + subject;
    const before = this.#state[pair]!;
    switch (report) {
      case "alive":
        this.#state[pair] = 1;
        return before === 0 ? "joined" : before === 1 ? null : "trusted";
      case "failed":
        this.#state[pair] = 2;
        return before === 2 ? null : "failed";
      case "left":
        this.#state[pair] = 3;
        return before === 3 ? null : "removed";
      case "suspected":
        return before === 2 || before === 3 ? null : "suspected";
    }
  }

  /** Forgets what `observer` reported (a restarted member starts a new table: its first reports are joins). */
  forget(observer: number): void {
    this.#state.fill(0, observer * this.#n, (observer + 1) * this.#n);
  }

  /** What `observer`'s reports say `subject` is now: "alive" (never heard of counts as alive), "failed", or "left". */
  stateOf(observer: number, subject: number): "alive" | "failed" | "left" {
    const s = this.#state[observer * this.#n + subject]!;
    return s === 2 ? "failed" : s === 3 ? "left" : "alive";
  }
}

/** The index of a member from its node name (`m<index>`), or -1. */
export function memberIndexOf(name: string, n: number): number {
  const m = /^m(\d+)$/.exec(name);
  if (!m) return -1;
  const i = Number(m[1]);
  return i < n ? i : -1;
}

/** The node name of member `index`. */
export function memberName(index: number): string {
  return `m${index}`;
}
