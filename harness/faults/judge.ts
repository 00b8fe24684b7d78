/**
 * The per-datagram decision of the fault injector, as deterministic code
 * with no I/O and no clock: time, link and size in, the datagram's outcome
 * and fate out, with every per-link state in the {@linkcode FaultState}
 * the caller passes. The proxy and the simulator call the same function.
 *
 * Order: a black hole on either end (crash by proxy), a killed receiver
 * (its socket is gone), a partition cut from → to, then the impairment
 * rules in order until one drops the datagram.
 *
 * @module
 */

import { type Fate, freshFate } from "./impairments/impairment.ts";
import type { FaultState } from "./state.ts";

/** What happened to a datagram. */
export type Outcome = "blackholed" | "dead" | "partitioned" | "lost" | "accepted";

/** The verdict on one datagram: its outcome and, when accepted, its fate (delay, copies, bit flips, reordering). */
export interface Judgement {
  /** Dropped (and why) or accepted. */
  readonly outcome: Outcome;
  /** The fate the rules gave it (meaningful when accepted). */
  readonly fate: Fate;
}

const UNTOUCHED: Fate = Object.freeze(freshFate()) as Fate;

/** Judges one datagram of `size` bytes on the link from → to at `nowMs`. */
export function judge(state: FaultState, from: number, to: number, size: number, nowMs: number): Judgement {
  if (state.blackholed[from] === 1 || state.blackholed[to] === 1) return { outcome: "blackholed", fate: UNTOUCHED };
  if (state.dead[to] === 1) return { outcome: "dead", fate: UNTOUCHED };
  const link = from * state.members + to;
  if (state.cutCount > 0 && state.cut[link] === 1) return { outcome: "partitioned", fate: UNTOUCHED };
  if (state.rules.length === 0) return { outcome: "accepted", fate: UNTOUCHED };
  const fate = freshFate();
  const packet = { from, to, link, size, nowMs };
  for (const rule of state.rules) {
    if (!rule.matches(from, to)) continue;
    rule.apply(packet, fate);
    if (fate.dropped !== null) return { outcome: "lost", fate };
  }
  return { outcome: "accepted", fate };
}

/** What happened to a chunk of a relayed TCP stream: impairment rules apply to datagrams only. */
export type StreamOutcome = Exclude<Outcome, "lost">;

/**
 * Judges the bytes of a TCP stream flowing from → to at chunk time (the
 * TCP relay's question): a black hole on either end, a killed end (as a
 * dead host: nothing reaches it and nothing comes from it, not even its
 * kernel's FIN or RST), a partition cut from → to. An end is -1 when it is
 * not known (a connection whose initiator could not be identified): only
 * the known end's faults apply then. Per-datagram impairments (loss, delay,
 * ...) do not apply to streams.
 */
export function judgeStream(state: FaultState, from: number, to: number): StreamOutcome {
  if ((from >= 0 && state.blackholed[from] === 1) || (to >= 0 && state.blackholed[to] === 1)) return "blackholed";
  if ((to >= 0 && state.dead[to] === 1) || (from >= 0 && state.dead[from] === 1)) return "dead";
  if (from >= 0 && to >= 0 && state.cutCount > 0 && state.cut[from * state.members + to] === 1) return "partitioned";
  return "accepted";
}
