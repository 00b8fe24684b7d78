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
 * Options add the paper's and the lectures' variants, all in this one
 * state machine because they share its list and merge:
 * - {@linkcode DisseminationStyle}: push (the paper), pull, push-pull, or
 *   digest-then-fetch (Cassandra's SYN / ACK / ACK2);
 * - {@linkcode Topology}: multi-level target choice (paper section 4): with
 *   probability 1/n another subnet of the domain, with 1/(n m) another
 *   domain, else the own subnet (n the subnet's size, m the domain's subnets);
 * - {@linkcode CatastropheOptions}: catastrophe recovery (paper section 5):
 *   stop gossiping to a silent member after T_fail but report it later, and
 *   broadcast the list once per second with probability (t/20)^a.
 *
 * @module
 */

import { decodeMessage, encodeHeartbeatList, type ListKind, MessageKind, serialDelta16 } from "./codec.ts";
import { ConfigError } from "./config.ts";
import erfcUntyped from "@stdlib/erfc";

const erfc = erfcUntyped as (x: number) => number;
import { type Detector, type DetectorEvent, EMPTY_STEP, type Send, type Step } from "../core/detector.ts";
import type { MemberId } from "../core/member_id.ts";
import { type Prng, randomIndex } from "../core/prng.ts";

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
  /** How a gossip exchanges state. @default {"push"} */
  readonly style?: DisseminationStyle;
  /** Multi-level target choice; absent: uniform over every live member. */
  readonly topology?: Topology;
  /** Catastrophe recovery broadcasts and late reports; absent: off. */
  readonly catastrophe?: CatastropheOptions;
}

/** The dissemination styles of the lectures (`gossip-fd.md` section 6). */
export const DISSEMINATION_STYLES = ["push", "pull", "push-pull", "digest"] as const;
/**
 * How one gossip exchanges state with its target:
 * - `push`: send the whole list (the paper; one datagram);
 * - `pull`: send an empty request, the target answers with its list;
 * - `push-pull`: send the list, the target merges it and answers with its own;
 * - `digest`: send a (member, counter) digest; the target answers with the
 *   entries it holds newer plus requests for those the digest shows newer;
 *   the sender answers the requests (three datagrams, Cassandra's shape).
 */
export type DisseminationStyle = typeof DISSEMINATION_STYLES[number];

/** Where members sit: domains of subnets of hosts (paper section 4). */
export interface Topology {
  /** A member's domain and subnet (subnet numbers unique across domains); undefined: unknown. */
  readonly levelOf: (id: MemberId) => { readonly domain: number; readonly subnet: number } | undefined;
}

/** Catastrophe recovery (paper section 5). */
export interface CatastropheOptions {
  /** The subnet's broadcast address (the harness's proxy fans out to the subnet). */
  readonly broadcastAddress: MemberId;
  /** The exponent a of p(t) = (t / scale)^a. */
  readonly exponent: number;
  /** The scale of p(t), seconds. @default {20} */
  readonly scaleSeconds?: number;
  /** How often a member decides whether to broadcast (ms). @default {1000} */
  readonly decisionIntervalMs?: number;
  /** Silence after which a member is reported failed (>= T_fail; gossip to it stops at T_fail). @default {tFailMs} */
  readonly reportAfterMs?: number;
}

interface Entry {
  /** Full (unwrapped) heartbeat counter. */
  counter: number;
  /** Local time the counter last increased. */
  lastIncreaseMs: number;
  /** Silent for T_fail: no longer gossiped to or about. */
  silent: boolean;
  /** Reported failed (at T_fail, or later with catastrophe recovery). */
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
 * import { createBasicGossipDetector, seededPrng } from "../mod.ts";
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
  const style = options.style ?? "push";
  if (!DISSEMINATION_STYLES.includes(style)) {
    throw new ConfigError(
      "style",
      `'style' must be one of ${DISSEMINATION_STYLES.join(", ")}: current value is ${style}`,
    );
  }
  const cat = options.catastrophe;
  const reportAfterMs = cat?.reportAfterMs ?? tFailMs;
  if (cat) {
    if (!(cat.exponent > 0 && Number.isFinite(cat.exponent))) {
      throw new ConfigError(
        "catastrophe.exponent",
        `'catastrophe.exponent' must be positive: current value is ${cat.exponent}`,
      );
    }
    if (!(reportAfterMs >= tFailMs && reportAfterMs <= tCleanupMs)) {
      throw new ConfigError(
        "catastrophe.reportAfterMs",
        `'catastrophe.reportAfterMs' must be in [tFailMs, tCleanupMs] (${tFailMs}, ${tCleanupMs}): current value is ${reportAfterMs}`,
      );
    }
  }
  const scaleSeconds = cat?.scaleSeconds ?? 20;
  const decisionIntervalMs = cat?.decisionIntervalMs ?? 1000;
  for (const m of options.members) {
    if (m !== self) {
      entries.set(m, { counter: 0, lastIncreaseMs: startMs, silent: false, failed: false });
    }
  }
  // Multi-level: the own subnet's size n and the domain's subnet count m, from the initial members.
  const topology = options.topology;
  const home = topology?.levelOf(self);
  let subnetSize = 1;
  let subnetsInDomain = 1;
  if (topology && home) {
    const subnets = new Set<number>([home.subnet]);
    for (const m of options.members) {
      if (m === self) continue;
      const level = topology.levelOf(m);
      if (level?.subnet === home.subnet) subnetSize++;
      if (level?.domain === home.domain) subnets.add(level.subnet);
    }
    subnetsInDomain = subnets.size;
  }
  let heartbeat = 0;
  let nextGossipMs = startMs + rng() * tGossipMs;
  let nextCheckMs = startMs + tFailMs;
  let nextDecisionMs = cat ? startMs + decisionIntervalMs : Infinity;
  let lastBroadcastHeardMs = startMs;

  /** Self and every member not silent, as parallel arrays; `targets` gets the members. */
  function snapshot(targets?: MemberId[]): { ids: MemberId[]; counters: number[] } {
    const ids: MemberId[] = [self];
    const counters: number[] = [heartbeat];
    for (const [id, e] of entries) {
      if (e.silent) continue;
      ids.push(id);
      counters.push(e.counter);
      targets?.push(id);
    }
    return { ids, counters };
  }

  function list(kind: ListKind = MessageKind.HeartbeatList): Uint8Array {
    const { ids, counters } = snapshot();
    return encodeHeartbeatList(ids, counters, ids.length, kind);
  }

  /** Multi-level choice: another domain w.p. 1/(n m), another subnet w.p. 1/n, else the own subnet. */
  function chooseTarget(targets: readonly MemberId[]): MemberId {
    if (!topology || !home) return targets[randomIndex(rng, targets.length)]!;
    const own: MemberId[] = [];
    const domain: MemberId[] = [];
    const far: MemberId[] = [];
    for (const t of targets) {
      const level = topology.levelOf(t);
      if (level?.subnet === home.subnet) own.push(t);
      else if (level?.domain === home.domain) domain.push(t);
      else far.push(t);
    }
    const u = rng();
    const pFar = 1 / (subnetSize * subnetsInDomain);
    const pDomain = 1 / subnetSize;
    const bucket = u < pFar && far.length > 0
      ? far
      : u < pFar + pDomain && domain.length > 0
      ? domain
      : own.length > 0
      ? own
      : domain.length > 0
      ? domain
      : far;
    return bucket[randomIndex(rng, bucket.length)]!;
  }

  function gossip(nowMs: number, sends: Send[]): void {
    // Self-correcting schedule: the period stays T_gossip however late we run;
    // gossips missed while late are skipped, not sent in a burst.
    while (nextGossipMs <= nowMs) nextGossipMs += tGossipMs;
    heartbeat++;
    onHeartbeat?.(heartbeat, nowMs);
    const targets: MemberId[] = [];
    const { ids, counters } = snapshot(targets);
    if (targets.length === 0) return;
    const to = chooseTarget(targets);
    const kind = style === "push"
      ? MessageKind.HeartbeatList
      : style === "pull"
      ? MessageKind.PullRequest
      : style === "push-pull"
      ? MessageKind.PushPull
      : MessageKind.DigestSyn;
    const count = style === "pull" ? 0 : ids.length;
    sends.push({ to, bytes: encodeHeartbeatList(ids, counters, count, kind) });
  }

  function decide(nowMs: number, sends: Send[]): void {
    while (nextDecisionMs <= nowMs) nextDecisionMs += decisionIntervalMs;
    const t = (nowMs - lastBroadcastHeardMs) / 1000;
    if (rng() < Math.min(1, Math.pow(t / scaleSeconds, cat!.exponent))) {
      lastBroadcastHeardMs = nowMs;
      sends.push({ to: cat!.broadcastAddress, bytes: list(MessageKind.Broadcast) });
    }
  }

  function check(nowMs: number, events: DetectorEvent[]): void {
    let next = Infinity;
    for (const [id, e] of entries) {
      const age = nowMs - e.lastIncreaseMs;
      const silentAt = failAt(e);
      if (!e.silent && nowMs >= silentAt) e.silent = true;
      const reportAt = cat ? Math.max(silentAt, e.lastIncreaseMs + reportAfterMs) : silentAt;
      if (!e.failed && nowMs >= reportAt) {
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
        next = Math.min(next, e.silent ? reportAt : silentAt);
      }
    }
    nextCheckMs = next;
  }

  /** Merges entries [from, to) of a decoded list. */
  function merge(
    members: Float64Array,
    counters: Uint16Array,
    from: number,
    to: number,
    nowMs: number,
    events: DetectorEvent[],
  ): void {
    for (let i = from; i < to; i++) {
      const id = members[i]!;
      if (id === self) continue;
      const wire = counters[i]!;
      const e = entries.get(id);
      if (e === undefined) {
        entries.set(id, { counter: wire, lastIncreaseMs: nowMs, silent: false, failed: false });
        events.push({ kind: "joined", member: id, atMs: nowMs });
        onLearn?.(id, -1, wire, nowMs);
        nextCheckMs = Math.min(nextCheckMs, nowMs + tFailMs);
        continue;
      }
      const delta = serialDelta16(wire, e.counter);
      if (delta <= 0) continue;
      onLearn?.(id, e.counter, e.counter + delta, nowMs);
      e.counter += delta;
      if (!e.silent) recordInterval(e, nowMs);
      e.lastIncreaseMs = nowMs;
      // A shrinking spread can bring phi's deadline forward.
      if (phi) nextCheckMs = Math.min(nextCheckMs, failAt(e));
      if (e.silent) {
        e.silent = false;
        // An entry that came back to life must be checked again at its new expiry.
        nextCheckMs = Math.min(nextCheckMs, nowMs + tFailMs);
      }
      if (e.failed) {
        e.failed = false;
        events.push({ kind: "trusted", member: id, atMs: nowMs });
      }
    }
  }

  /** Digest-then-fetch, step 2: what we hold newer, and requests for what the digest shows newer. */
  function answerDigest(members: Float64Array, counters: Uint16Array): Uint8Array | null {
    const { ids, counters: mine } = snapshot();
    const inDigest = new Map<MemberId, number>();
    for (let i = 0; i < members.length; i++) inDigest.set(members[i]!, counters[i]!);
    const outIds: MemberId[] = [];
    const outCounters: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const theirs = inDigest.get(ids[i]!);
      if (theirs === undefined || serialDelta16(mine[i]!, theirs) > 0) {
        outIds.push(ids[i]!);
        outCounters.push(mine[i]!);
      }
    }
    const stateCount = outIds.length;
    for (const [id, theirs] of inDigest) {
      if (id === self) continue;
      const e = entries.get(id);
      if (e === undefined || e.silent || serialDelta16(theirs, e.counter) > 0) {
        outIds.push(id);
        outCounters.push(e?.counter ?? 0);
      }
    }
    if (outIds.length === 0) return null;
    return encodeHeartbeatList(outIds, outCounters, outIds.length, MessageKind.DigestAck, stateCount);
  }

  /** Digest-then-fetch, step 3: the entries asked for. */
  function answerRequests(members: Float64Array, from: number): Uint8Array | null {
    const ids: MemberId[] = [];
    const counters: number[] = [];
    for (let i = from; i < members.length; i++) {
      const id = members[i]!;
      if (id === self) {
        ids.push(self);
        counters.push(heartbeat);
        continue;
      }
      const e = entries.get(id);
      if (e && !e.silent) {
        ids.push(id);
        counters.push(e.counter);
      }
    }
    return ids.length === 0 ? null : encodeHeartbeatList(ids, counters);
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
      if (nowMs >= nextDecisionMs) decide(nowMs, sends);
      return { sends, events };
    },
    receive(from: MemberId, bytes: Uint8Array, nowMs: number): Step {
      const message = decodeMessage(bytes);
      const events: DetectorEvent[] = [];
      const sends: Send[] = [];
      const { members, counters } = message;
      switch (message.kind) {
        case MessageKind.HeartbeatList:
          merge(members, counters, 0, members.length, nowMs, events);
          break;
        case MessageKind.Broadcast:
          lastBroadcastHeardMs = nowMs;
          merge(members, counters, 0, members.length, nowMs, events);
          break;
        case MessageKind.PullRequest:
          sends.push({ to: from, bytes: list() });
          break;
        case MessageKind.PushPull:
          merge(members, counters, 0, members.length, nowMs, events);
          sends.push({ to: from, bytes: list() });
          break;
        case MessageKind.DigestSyn: {
          const ack = answerDigest(members, counters);
          if (ack) sends.push({ to: from, bytes: ack });
          break;
        }
        case MessageKind.DigestAck: {
          merge(members, counters, 0, message.stateCount, nowMs, events);
          const reply = answerRequests(members, message.stateCount);
          if (reply) sends.push({ to: from, bytes: reply });
          break;
        }
      }
      return events.length === 0 && sends.length === 0 ? EMPTY_STEP : { sends, events };
    },
    nextDeadlineMs(): number {
      return Math.min(nextGossipMs, nextCheckMs, nextDecisionMs);
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
