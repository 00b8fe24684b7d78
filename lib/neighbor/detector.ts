/**
 * The lecture's faster approach (`gossip-fd.md` section 5), as a pure state
 * machine: membership is gossiped, but failures are found by direct pings.
 *
 * - Every ping interval a member pings its `neighborsPerSide` next-higher
 *   and next-lower live members by id (a ring; 2 + 2 by default) and counts,
 *   per neighbour, consecutive pings not acknowledged within the timeout.
 * - At `missesToSuspect` misses it suspects the neighbour (a `suspected`
 *   event) and sends an accusation to the neighbour's other pingers (the
 *   neighbour's own ring neighbours), again every ping interval while the
 *   suspicion lasts. An accusation not repeated within two ping intervals
 *   is withdrawn.
 * - A member that holds accusations from `quorum` distinct pingers (its own
 *   included) declares the member failed and gossips the failure notice to
 *   one random live member every `noticeIntervalMs` (100 ms), each notice
 *   `ceil(3 log2(n + 1))` times; a member receiving a notice declares the
 *   failure too and passes it on.
 * - Membership is a list of (member, incarnation, alive/dead) gossiped push,
 *   fan-out 1, every `membershipIntervalMs`. A member that hears itself
 *   declared dead bumps its incarnation and spreads the refutation as a
 *   notice; peers then trust it again (SWIM's rule: a higher incarnation
 *   wins, and at equal incarnations dead beats alive).
 *
 * Wire: `codec.ts`. The state never wraps (2^15 incarnations is plenty for a run):
 * a death notice about this member at incarnation 2^15 - 1 cannot be outbid
 * and is ignored.
 *
 * Hostile input: the list never grows past what one datagram carries
 * (`MAX_ENTRIES` entries, self included), and with `closedGroup` only the
 * initial members are ever admitted and only their datagrams are read.
 *
 * @module
 */

import { MAX_ENTRIES } from "../basic/codec.ts";
import { ConfigError } from "../core/errors.ts";
import { MessageKind } from "../core/wire.ts";
import { decodeNeighborMessage, encodeNeighborMessage } from "./codec.ts";
import { type NeighborSettings, resolveNeighborSettings } from "./options.ts";
import { type Detector, type DetectorEvent, EMPTY_STEP, type Send, type Step } from "../core/detector.ts";
import type { MemberId } from "../core/member_id.ts";
import { type Prng, randomIndex } from "../core/prng.ts";

/** Options of {@linkcode createNeighborDetector}: the settings (defaults in `options.ts`) and the member. */
export interface NeighborOptions extends Partial<NeighborSettings> {
  /** This member's public address. */
  readonly self: MemberId;
  /** Members known at start (may include `self`). */
  readonly members: readonly MemberId[];
  /** Seeded randomness (phases, gossip targets). */
  readonly rng: Prng;
  /** Time the detector starts (ms). */
  readonly startMs: number;
  /**
   * The group is closed: only the members of `members` are ever admitted.
   * Entries about anyone else are ignored, and so is every datagram whose
   * sender is not a member (no state change, no reply). For deployments
   * that know every member at start (the harness does): an unknown id is
   * then hostile, not a join. Whatever this says, a member never holds more
   * entries than one membership datagram carries (`MAX_ENTRIES`, self
   * included): entries about new members beyond are ignored.
   * @default {false}
   */
  readonly closedGroup?: boolean;
}

/** Largest incarnation the 16-bit state can carry (state = incarnation * 2 + dead). */
const MAX_INCARNATION = 0x7fff;

/** The neighbour-ping detector, with read access for tests and tools. */
export interface NeighborDetector extends Detector {
  /** Members this one currently pings. */
  pingTargets(): MemberId[];
  /** Members currently considered failed. */
  failedMembers(): MemberId[];
  /** This member's incarnation. */
  readonly incarnation: number;
  /** Always defined: the member pings forever. */
  nextDeadlineMs(): number;
}

interface Member {
  /** incarnation * 2 + (dead ? 1 : 0). */
  state: number;
  /** Consecutive pings unanswered in time (as a pinger of this member). */
  misses: number;
  lastPingMs: number;
  ackedInTime: boolean;
  /** Pingers (by id) that accuse it at its current incarnation, with when they last did. */
  accusers: Map<MemberId, number>;
}

interface Notice {
  readonly state: number;
  left: number;
}

/**
 * Creates the lecture's neighbour-ping detector.
 *
 * @example
 * ```ts
 * import { createNeighborDetector, seededPrng } from "../mod.ts";
 * const d = createNeighborDetector({ self: 1, members: [1, 2, 3, 4, 5], rng: seededPrng(1), startMs: 0 });
 * d.pingTargets(); // [2, 3, 4, 5]: two above and two below on the id ring
 * ```
 */
export function createNeighborDetector(options: NeighborOptions): NeighborDetector {
  const { self, rng, startMs } = options;
  const {
    pingIntervalMs,
    pingTimeoutMs,
    missesToSuspect,
    neighborsPerSide: perSide,
    quorum,
    noticeIntervalMs,
    membershipIntervalMs,
  } = resolveNeighborSettings(options);

  const accusationTtlMs = 2 * pingIntervalMs;
  const members = new Map<MemberId, Member>();
  const fresh = (state: number): Member => ({
    state,
    misses: 0,
    lastPingMs: -Infinity,
    ackedInTime: true,
    accusers: new Map(),
  });
  for (const m of options.members) if (m !== self) members.set(m, fresh(0));
  if (members.size + 1 > MAX_ENTRIES) {
    throw new ConfigError(
      "members",
      `'members' must name at most ${MAX_ENTRIES} members (self included), what one datagram carries: current value names ${
        members.size + 1
      }`,
    );
  }
  const closed = options.closedGroup ?? false;
  /** Whether an unknown member may be added: an open group with room left in one datagram. */
  const admits = () => !closed && members.size + 1 < MAX_ENTRIES;
  let incarnation = 0;
  /** Notices to gossip, by member, oldest first (a new notice about a member replaces and requeues its old one). */
  const notices = new Map<MemberId, Notice>();
  const repeats = () => Math.ceil(3 * Math.log2(members.size + 2));
  let nextPingMs = startMs + rng() * pingIntervalMs;
  let nextNoticeMs = startMs + rng() * noticeIntervalMs;
  let nextMembershipMs = startMs + rng() * membershipIntervalMs;

  const alive = (m: Member) => (m.state & 1) === 0;

  /** The ring of live members and self, sorted by id. */
  function ring(): Float64Array {
    const ids = new Float64Array(members.size + 1);
    ids[0] = self;
    let n = 1;
    for (const [id, m] of members) if (alive(m)) ids[n++] = id;
    // A typed array sorts numerically, natively: several times faster than a comparator at thousands of members.
    return ids.subarray(0, n).sort();
  }

  /** The `perSide` next-higher and next-lower members of `of` on `r` (distinct, without `of`). */
  function neighborsOf(of: MemberId, r: Float64Array): MemberId[] {
    const at = r.indexOf(of);
    const out = new Set<MemberId>();
    if (at < 0) return [];
    for (let k = 1; k <= perSide; k++) {
      for (const step of [k, -k]) {
        const id = r[(((at + step) % r.length) + r.length) % r.length]!;
        if (id !== of) out.add(id);
      }
    }
    return [...out];
  }

  function declare(id: MemberId, m: Member, state: number, nowMs: number, events: DetectorEvent[]): void {
    const wasAlive = alive(m);
    m.state = state;
    m.accusers.clear();
    m.misses = 0;
    if (wasAlive) events.push({ kind: "failed", member: id, atMs: nowMs });
    enqueue(id, state, nowMs);
  }

  function enqueue(member: MemberId, state: number, nowMs: number): void {
    // The first notice after a quiet spell goes out now (the schedule is idle while there are none).
    if (notices.size === 0) nextNoticeMs = Math.max(nextNoticeMs, nowMs);
    notices.delete(member);
    notices.set(member, { state, left: repeats() });
  }

  /** Applies (member, state) heard from a peer: the higher state wins. */
  function apply(id: MemberId, state: number, nowMs: number, events: DetectorEvent[], spread: boolean): void {
    if (id === self) {
      if ((state & 1) === 1 && state >> 1 >= incarnation && state >> 1 < MAX_INCARNATION) {
        incarnation = (state >> 1) + 1;
        enqueue(self, incarnation * 2, nowMs);
      }
      return;
    }
    const m = members.get(id);
    if (m === undefined) {
      if (!admits()) return;
      members.set(id, fresh(state));
      events.push({ kind: "joined", member: id, atMs: nowMs });
      if ((state & 1) === 1) events.push({ kind: "failed", member: id, atMs: nowMs });
      if (spread) enqueue(id, state, nowMs);
      return;
    }
    if (state <= m.state) return;
    const wasAlive = alive(m);
    if ((state & 1) === 1) {
      declare(id, m, state, nowMs, events);
      if (!spread) notices.delete(id);
      return;
    }
    m.state = state;
    m.accusers.clear();
    m.misses = 0;
    m.ackedInTime = true;
    if (!wasAlive) events.push({ kind: "trusted", member: id, atMs: nowMs });
    if (spread) enqueue(id, state, nowMs);
  }

  function accuse(target: MemberId, m: Member, by: MemberId, nowMs: number, events: DetectorEvent[]): void {
    if (!alive(m)) return;
    m.accusers.set(by, nowMs);
    // A pinger repeats its accusation every ping interval while it suspects; older ones are withdrawn.
    let current = 0;
    for (const [pinger, at] of m.accusers) {
      if (nowMs - at <= accusationTtlMs) current++;
      else m.accusers.delete(pinger);
    }
    if (current >= quorum) declare(target, m, m.state | 1, nowMs, events);
  }

  function pingRound(nowMs: number, sends: Send[], events: DetectorEvent[]): void {
    while (nextPingMs <= nowMs) nextPingMs += pingIntervalMs;
    const r = ring();
    for (const id of neighborsOf(self, r)) {
      const m = members.get(id)!;
      if (m.lastPingMs > -Infinity) m.misses = m.ackedInTime ? 0 : m.misses + 1;
      if (m.misses >= missesToSuspect) {
        if (m.misses === missesToSuspect) events.push({ kind: "suspected", member: id, atMs: nowMs });
        const bytes = encodeNeighborMessage(MessageKind.NeighborAccuse, [id], [m.state]);
        for (const pinger of neighborsOf(id, r)) {
          if (pinger !== self) sends.push({ to: pinger, bytes });
        }
        accuse(id, m, self, nowMs, events);
        if (!alive(m)) continue;
      }
      m.lastPingMs = nowMs;
      m.ackedInTime = false;
      sends.push({ to: id, bytes: encodeNeighborMessage(MessageKind.NeighborPing, [], []) });
    }
  }

  function liveTargets(): MemberId[] {
    const out: MemberId[] = [];
    for (const [id, m] of members) if (alive(m)) out.push(id);
    return out;
  }

  function noticeRound(nowMs: number, sends: Send[]): void {
    if (notices.size === 0) return;
    while (nextNoticeMs <= nowMs) nextNoticeMs += noticeIntervalMs;
    const targets = liveTargets();
    if (targets.length === 0) return;
    const ids: MemberId[] = [];
    const states: number[] = [];
    for (const [member, n] of notices) {
      if (ids.length === MAX_ENTRIES) break;
      ids.push(member);
      states.push(n.state);
    }
    sends.push({
      to: targets[randomIndex(rng, targets.length)]!,
      bytes: encodeNeighborMessage(MessageKind.NeighborNotice, ids, states),
    });
    for (const member of ids) {
      const n = notices.get(member)!;
      if (--n.left <= 0) notices.delete(member);
    }
  }

  function membershipRound(nowMs: number, sends: Send[]): void {
    while (nextMembershipMs <= nowMs) nextMembershipMs += membershipIntervalMs;
    const targets = liveTargets();
    if (targets.length === 0) return;
    const ids: MemberId[] = [self];
    const states: number[] = [incarnation * 2];
    for (const [id, m] of members) {
      ids.push(id);
      states.push(m.state);
    }
    sends.push({
      to: targets[randomIndex(rng, targets.length)]!,
      bytes: encodeNeighborMessage(MessageKind.NeighborMembership, ids, states),
    });
  }

  return {
    id: self,
    get incarnation() {
      return incarnation;
    },
    tick(nowMs: number): Step {
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      if (nowMs >= nextPingMs) pingRound(nowMs, sends, events);
      if (nowMs >= nextNoticeMs) noticeRound(nowMs, sends);
      if (nowMs >= nextMembershipMs) membershipRound(nowMs, sends);
      return { sends, events };
    },
    receive(from: MemberId, bytes: Uint8Array, nowMs: number): Step {
      const { kind, ids, states } = decodeNeighborMessage(bytes);
      if (closed && from !== self && !members.has(from)) return EMPTY_STEP;
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      switch (kind) {
        case MessageKind.NeighborPing:
          sends.push({ to: from, bytes: encodeNeighborMessage(MessageKind.NeighborAck, [], []) });
          break;
        case MessageKind.NeighborAck: {
          const m = members.get(from);
          if (m && nowMs - m.lastPingMs <= pingTimeoutMs) m.ackedInTime = true;
          break;
        }
        case MessageKind.NeighborAccuse:
          for (let i = 0; i < ids.length; i++) {
            const m = members.get(ids[i]!);
            // Only accusations about the member's current incarnation count.
            if (m && states[i] === m.state) accuse(ids[i]!, m, from, nowMs, events);
          }
          break;
        case MessageKind.NeighborNotice:
        case MessageKind.NeighborMembership:
          for (let i = 0; i < ids.length; i++) {
            apply(ids[i]!, states[i]!, nowMs, events, kind === MessageKind.NeighborNotice);
          }
          break;
      }
      return sends.length === 0 && events.length === 0 ? EMPTY_STEP : { sends, events };
    },
    nextDeadlineMs(): number {
      // Notices wake the member only while there are some (10 wake-ups a second otherwise).
      return Math.min(nextPingMs, notices.size > 0 ? nextNoticeMs : Infinity, nextMembershipMs);
    },
    pingTargets: () => neighborsOf(self, ring()),
    failedMembers: () => [...members].filter(([, m]) => !alive(m)).map(([id]) => id),
  };
}
