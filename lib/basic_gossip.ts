/**
 * The basic gossip heartbeat failure detector of van Renesse, Minsky and
 * Hayden (1998), as a pure state machine.
 *
 * - Every T_gossip the member increments its own counter, picks one other
 *   member it does not consider failed, uniformly at random, and sends it
 *   its whole list (push, fan-out 1). The first gossip happens at a random
 *   phase within the first period, so members are not synchronised.
 * - On receipt it keeps the larger counter of every entry; a counter that
 *   grew gets a fresh local timestamp; an unknown member is added.
 * - A member whose counter has not grown for T_fail is declared failed
 *   (a `failed` event) and no longer gossiped about or to. Its entry stays
 *   until T_cleanup after its last increase so that late gossip cannot
 *   re-add it; a later increase makes it trusted again.
 *
 * @module
 */

import { decodeMessage, encodeHeartbeatList, serialDelta16 } from "./codec.ts";
import { ConfigError } from "./config.ts";
import erfcUntyped from "@stdlib/erfc";

const erfc = erfcUntyped as (x: number) => number;
import { type Detector, type DetectorEvent, EMPTY_STEP, type Send, type Step } from "./detector.ts";
import type { MemberId } from "./member_id.ts";
import { type Prng, randomIndex } from "./prng.ts";

/** Options of {@linkcode createBasicGossipDetector}. */
export interface BasicGossipOptions {
  /** This member's public address. */
  readonly self: MemberId;
  /** Members known at start (may include `self`). */
  readonly members: readonly MemberId[];
  /** Gossip period (ms). */
  readonly tGossipMs: number;
  /** Silence after which a member is declared failed (ms). */
  readonly tFailMs: number;
  /** Age after which a failed member's entry is dropped (ms); >= tFailMs. */
  readonly tCleanupMs: number;
  /** Seeded randomness for the gossip phase and target choice. */
  readonly rng: Prng;
  /** Time the detector starts (ms); initial entries count as fresh then. */
  readonly startMs: number;
  /**
   * Called when this member learns newer heartbeats of `source`: every
   * counter in (`fromCounter`, `toCounter`] was first held at `nowMs`
   * (`fromCounter` is -1 when the member was unknown until now).
   * Used by the harness to measure propagation; absent by default.
   */
  readonly onLearn?: (
    source: MemberId,
    fromCounter: number,
    toCounter: number,
    nowMs: number,
  ) => void;
  /**
   * Called when this member increments its own heartbeat to `counter` at
   * `nowMs`: the origin of a propagation episode. Absent by default.
   */
  readonly onHeartbeat?: (counter: number, nowMs: number) => void;
  /** Decide failures by phi accrual instead of the fixed T_fail. Absent by default. */
  readonly phi?: PhiOptions;
}

interface Entry {
  /** Full (unwrapped) heartbeat counter. */
  counter: number;
  /** Local time the counter last increased. */
  lastIncreaseMs: number;
  failed: boolean;
  /** Phi accrual only: recent inter-arrival times of increases (ring), with running sums. */
  intervals?: Float64Array;
  filled?: number;
  next?: number;
  sum?: number;
  sumSq?: number;
}

/**
 * Phi accrual failure decisions (Hayashibara et al. 2004) over the gossiped
 * heartbeats: a member is failed when phi = -log10(1 - F(t)) reaches the
 * threshold, F the normal CDF of the recent inter-arrival times of its
 * heartbeat increases, t the time since the last one. Until `minSamples`
 * intervals are known, T_fail applies.
 */
export interface PhiOptions {
  /** Suspect at phi >= threshold. @default {8} (Cassandra's default) */
  readonly threshold?: number;
  /** Inter-arrival samples kept per member. @default {100} */
  readonly window?: number;
  /** Floor on the standard deviation (ms), against overconfident windows. @default {tGossipMs / 4} */
  readonly minStdDevMs?: number;
  /** Samples needed before phi decides. @default {5} */
  readonly minSamples?: number;
  /**
   * Added to the mean inter-arrival time (Akka's acceptable heartbeat
   * pause): gossiped heartbeats arrive in bursts with long gaps, which a
   * normal fit alone mistakes for failures. @default {0}
   */
  readonly acceptablePauseMs?: number;
}

/** The basic detector, with read access to its state for tests and tools. */
export interface BasicGossipDetector extends Detector {
  /** This member's own heartbeat counter. */
  readonly heartbeat: number;
  /** Always defined: the basic detector gossips forever. */
  nextDeadlineMs(): number;
  /** Members currently held (alive or failed, not yet cleaned up). */
  knownMembers(): MemberId[];
  /** Members currently considered failed. */
  failedMembers(): MemberId[];
  /** The full counter held for `member`, if any. */
  counterOf(member: MemberId): number | undefined;
}

/**
 * Creates a basic gossip detector.
 *
 * @example
 * ```ts
 * import { createBasicGossipDetector, seededPrng } from "./mod.ts";
 * const d = createBasicGossipDetector({
 *   self: 1, members: [1, 2, 3], tGossipMs: 1600, tFailMs: 34112,
 *   tCleanupMs: 68224, rng: seededPrng(7), startMs: 0,
 * });
 * const step = d.tick(d.nextDeadlineMs()!); // one gossip to a random peer
 * ```
 */
export function createBasicGossipDetector(
  options: BasicGossipOptions,
): BasicGossipDetector {
  const { self, tGossipMs, tFailMs, tCleanupMs, rng, startMs, onLearn, onHeartbeat } = options;
  if (!(tGossipMs > 0)) {
    throw new ConfigError(
      "tGossipMs",
      `'tGossipMs' must be positive: current value is ${tGossipMs}`,
    );
  }
  if (!(tFailMs > 0)) {
    throw new ConfigError(
      "tFailMs",
      `'tFailMs' must be positive: current value is ${tFailMs}`,
    );
  }
  if (!(tCleanupMs >= tFailMs)) {
    throw new ConfigError(
      "tCleanupMs",
      `'tCleanupMs' must be >= tFailMs (${tFailMs}): current value is ${tCleanupMs}`,
    );
  }
  const entries = new Map<MemberId, Entry>();
  const phi = options.phi;
  const phiWindow = phi?.window ?? 100;
  const phiMinStd = phi?.minStdDevMs ?? tGossipMs / 4;
  const phiMinSamples = phi?.minSamples ?? 5;
  // phi(t) >= threshold  <=>  t >= mean + z * sd, z the normal quantile with upper tail 10^-threshold.
  const phiZ = phi ? upperTailZ(Math.pow(10, -(phi.threshold ?? 8))) : 0;
  if (phi && !(phiWindow >= 2 && phiMinSamples >= 2 && phiMinSamples <= phiWindow)) {
    throw new ConfigError("phi", `'phi.window' must be >= 2 and 'phi.minSamples' in [2, window]`);
  }

  /** When `e` must be declared failed, by T_fail or by phi. */
  function failAt(e: Entry): number {
    if (!phi || (e.filled ?? 0) < phiMinSamples) return e.lastIncreaseMs + tFailMs;
    const n = e.filled!;
    const mean = e.sum! / n;
    const sd = Math.max(phiMinStd, Math.sqrt(Math.max(0, e.sumSq! / n - mean * mean)));
    return e.lastIncreaseMs + mean + (phi.acceptablePauseMs ?? 0) + phiZ * sd;
  }

  function recordInterval(e: Entry, nowMs: number): void {
    if (!phi) return;
    const interval = nowMs - e.lastIncreaseMs;
    if (!e.intervals) {
      e.intervals = new Float64Array(phiWindow);
      e.filled = 0;
      e.next = 0;
      e.sum = 0;
      e.sumSq = 0;
    }
    if (e.filled === phiWindow) {
      const old = e.intervals[e.next!]!;
      e.sum! -= old;
      e.sumSq! -= old * old;
    } else e.filled!++;
    e.intervals[e.next!] = interval;
    e.next = (e.next! + 1) % phiWindow;
    e.sum! += interval;
    e.sumSq! += interval * interval;
  }
  for (const m of options.members) {
    if (m !== self) {
      entries.set(m, { counter: 0, lastIncreaseMs: startMs, failed: false });
    }
  }
  let heartbeat = 0;
  let nextGossipMs = startMs + rng() * tGossipMs;
  let nextCheckMs = startMs + tFailMs;

  function gossip(nowMs: number, sends: Send[]): void {
    // Self-correcting schedule: the period stays T_gossip however late we run;
    // gossips missed while late are skipped, not sent in a burst.
    while (nextGossipMs <= nowMs) nextGossipMs += tGossipMs;
    heartbeat++;
    onHeartbeat?.(heartbeat, nowMs);
    const ids: MemberId[] = [self];
    const counters: number[] = [heartbeat];
    const targets: MemberId[] = [];
    for (const [id, e] of entries) {
      if (e.failed) continue;
      ids.push(id);
      counters.push(e.counter);
      targets.push(id);
    }
    if (targets.length === 0) return;
    const to = targets[randomIndex(rng, targets.length)]!;
    sends.push({ to, bytes: encodeHeartbeatList(ids, counters) });
  }

  function check(nowMs: number, events: DetectorEvent[]): void {
    let next = Infinity;
    for (const [id, e] of entries) {
      const age = nowMs - e.lastIncreaseMs;
      const due = failAt(e);
      if (!e.failed && nowMs >= due) {
        e.failed = true;
        events.push({ kind: "failed", member: id, atMs: nowMs });
      }
      if (e.failed) {
        if (age >= tCleanupMs) {
          entries.delete(id);
          events.push({ kind: "removed", member: id, atMs: nowMs });
          continue;
        }
        next = Math.min(next, e.lastIncreaseMs + tCleanupMs);
      } else {
        next = Math.min(next, due);
      }
    }
    nextCheckMs = next;
  }

  return {
    id: self,
    get heartbeat() {
      return heartbeat;
    },
    tick(nowMs: number): Step {
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      if (nowMs >= nextCheckMs) check(nowMs, events);
      if (nowMs >= nextGossipMs) gossip(nowMs, sends);
      return { sends, events };
    },
    receive(_from: MemberId, bytes: Uint8Array, nowMs: number): Step {
      const message = decodeMessage(bytes);
      const events: DetectorEvent[] = [];
      const { members, counters } = message;
      for (let i = 0; i < members.length; i++) {
        const id = members[i]!;
        if (id === self) continue;
        const wire = counters[i]!;
        const e = entries.get(id);
        if (e === undefined) {
          entries.set(id, {
            counter: wire,
            lastIncreaseMs: nowMs,
            failed: false,
          });
          events.push({ kind: "joined", member: id, atMs: nowMs });
          onLearn?.(id, -1, wire, nowMs);
          continue;
        }
        const delta = serialDelta16(wire, e.counter);
        if (delta <= 0) continue;
        onLearn?.(id, e.counter, e.counter + delta, nowMs);
        e.counter += delta;
        if (!e.failed) recordInterval(e, nowMs);
        e.lastIncreaseMs = nowMs;
        // A shrinking spread can bring phi's deadline forward.
        if (phi) nextCheckMs = Math.min(nextCheckMs, failAt(e));
        if (e.failed) {
          e.failed = false;
          events.push({ kind: "trusted", member: id, atMs: nowMs });
        }
      }
      // An entry that came back to life must be checked again at its new expiry.
      if (events.length > 0) {
        for (const ev of events) {
          if (ev.kind === "trusted" || ev.kind === "joined") {
            nextCheckMs = Math.min(nextCheckMs, nowMs + tFailMs);
          }
        }
      }
      return events.length === 0 ? EMPTY_STEP : { sends: [], events };
    },
    nextDeadlineMs(): number {
      return Math.min(nextGossipMs, nextCheckMs);
    },
    knownMembers: () => [...entries.keys()],
    failedMembers: () => [...entries].filter(([, e]) => e.failed).map(([id]) => id),
    counterOf(member: MemberId): number | undefined {
      return member === self ? heartbeat : entries.get(member)?.counter;
    },
  };
}

/** The z with normal upper tail `tail`, by bisection on erfc (monotone). */
function upperTailZ(tail: number): number {
  let lo = -10;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * erfc(mid / Math.SQRT2) > tail) lo = mid;
    else hi = mid;
  }
  return hi;
}
