/**
 * A deterministic in-process network for detectors: virtual time that
 * jumps straight to the next deadline or delivery (quinn-proto's `Pair`
 * idea), fixed latency, seeded loss, and crashes. No sockets, no clock, so
 * hundreds of members run in milliseconds and the same seed gives the same
 * run.
 *
 * @module
 */

import type { Detector, DetectorEvent } from "../core/detector.ts";
import type { MemberId } from "../core/member_id.ts";
import type { Prng } from "../core/prng.ts";

/** Options of {@linkcode simulate}. */
export interface SimulateOptions {
  /** The members (their ids are their addresses). */
  readonly detectors: readonly Detector[];
  /** Stop at this virtual time (ms). */
  readonly untilMs: number;
  /** One-way delivery latency (ms). @default {1} */
  readonly latencyMs?: number;
  /** Probability a datagram is lost. @default {0} */
  readonly loss?: number;
  /** Randomness for loss decisions. Required when loss > 0. */
  readonly rng?: Prng;
  /** Members cut off (everything to and from them dropped) from a time on. */
  readonly crashes?: readonly { readonly member: MemberId; readonly atMs: number }[];
}

/** An event with the member that emitted it. */
export interface SimEvent extends DetectorEvent {
  /** The member that emitted the event. */
  readonly observer: MemberId;
}

/** What a simulation produced. */
export interface SimulateResult {
  /** Every event, in virtual-time order. */
  readonly events: SimEvent[];
  /** Datagrams sent. */
  readonly datagrams: number;
  /** Payload bytes sent. */
  readonly bytes: number;
  /** Datagrams dropped (loss or crash). */
  readonly lost: number;
}

interface Delivery {
  at: number;
  seq: number;
  from: MemberId;
  to: MemberId;
  bytes: Uint8Array;
}

/** Runs detectors against each other in virtual time. */
export function simulate(options: SimulateOptions): SimulateResult {
  const { detectors, untilMs, latencyMs = 1, loss = 0, rng } = options;
  if (loss > 0 && !rng) throw new RangeError("'rng' is required when 'loss' > 0");
  const byId = new Map(detectors.map((d) => [d.id, d]));
  const crashAt = new Map((options.crashes ?? []).map((c) => [c.member, c.atMs]));
  const cut = (id: MemberId, at: number) => (crashAt.get(id) ?? Infinity) <= at;
  const queue: Delivery[] = [];
  const events: SimEvent[] = [];
  let seq = 0;
  let datagrams = 0;
  let bytes = 0;
  let lost = 0;
  const handle = (d: Detector, now: number, step: ReturnType<Detector["tick"]>) => {
    for (const e of step.events) events.push({ ...e, observer: d.id });
    for (const send of step.sends) {
      datagrams++;
      bytes += send.bytes.length;
      if (cut(d.id, now) || cut(send.to, now) || (loss > 0 && rng!() < loss)) {
        lost++;
        continue;
      }
      queue.push({ at: now + latencyMs, seq: seq++, from: d.id, to: send.to, bytes: send.bytes });
    }
  };
  for (;;) {
    let next = Infinity;
    let who: Detector | undefined;
    for (const d of detectors) {
      const t = d.nextDeadlineMs();
      if (t !== undefined && t < next) {
        next = t;
        who = d;
      }
    }
    let qi = -1;
    for (let i = 0; i < queue.length; i++) {
      const q = queue[i]!;
      if (q.at < next || (q.at === next && qi < 0 && who === undefined)) {
        next = q.at;
        qi = i;
        who = undefined;
      }
    }
    if (next > untilMs) break;
    if (qi >= 0) {
      const q = queue.splice(qi, 1)[0]!;
      const d = byId.get(q.to);
      if (d && !cut(q.to, q.at)) handle(d, q.at, d.receive(q.from, q.bytes, q.at));
    } else if (who) {
      handle(who, next, who.tick(next));
    }
  }
  return { events, datagrams, bytes, lost };
}
