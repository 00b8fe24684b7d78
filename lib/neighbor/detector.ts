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
 * Wire: the 8-byte header, then 8-byte entries (IPv4, port, and a 16-bit
 * state = incarnation * 2 + dead) as in the heartbeat list; pings and acks
 * carry no entries. The state never wraps (2^15 incarnations is plenty for a run).
 *
 * @module
 */

import {
  DecodeError,
  ENTRY_BYTES,
  HEADER_BYTES,
  MAX_ENTRIES,
  MessageKind,
  openDatagram,
  sealDatagram,
} from "../basic/codec.ts";
import { ConfigError } from "../basic/config.ts";
import { type Detector, type DetectorEvent, EMPTY_STEP, type Send, type Step } from "../core/detector.ts";
import type { MemberId } from "../core/member_id.ts";
import { type Prng, randomIndex } from "../core/prng.ts";

/** Options of {@linkcode createNeighborDetector}. */
export interface NeighborOptions {
  /** This member's public address. */
  readonly self: MemberId;
  /** Members known at start (may include `self`). */
  readonly members: readonly MemberId[];
  /** Ping period (ms). @default {1000} */
  readonly pingIntervalMs?: number;
  /** Ack timeout (ms), below the ping period. @default {500} */
  readonly pingTimeoutMs?: number;
  /** Consecutive unanswered pings before a pinger suspects. @default {3} */
  readonly missesToSuspect?: number;
  /** Neighbours pinged on each side of the id ring. @default {2} */
  readonly neighborsPerSide?: number;
  /** Distinct pingers that must agree. @default {2} */
  readonly quorum?: number;
  /** Failure-notice gossip period (ms). @default {100} */
  readonly noticeIntervalMs?: number;
  /** Membership gossip period (ms). @default {5000} */
  readonly membershipIntervalMs?: number;
  /** Seeded randomness (phases, gossip targets). */
  readonly rng: Prng;
  /** Time the detector starts (ms). */
  readonly startMs: number;
}

/** Defaults of {@linkcode NeighborOptions} (ms where a time). The ping timeout is also capped at half the ping period. */
export const NEIGHBOR_DEFAULTS = {
  pingIntervalMs: 1000,
  pingTimeoutMs: 500,
  missesToSuspect: 3,
  neighborsPerSide: 2,
  quorum: 2,
  noticeIntervalMs: 100,
  membershipIntervalMs: 5000,
} as const;

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
  readonly member: MemberId;
  readonly state: number;
  left: number;
}

/** Encoded size of a neighbour-protocol message with `entries` entries. */
export function neighborMessageBytes(entries: number): number {
  return HEADER_BYTES + ENTRY_BYTES * entries;
}

/** The message kinds of the neighbour-ping detector. */
export type NeighborKind =
  | typeof MessageKind.NeighborPing
  | typeof MessageKind.NeighborAck
  | typeof MessageKind.NeighborAccuse
  | typeof MessageKind.NeighborNotice
  | typeof MessageKind.NeighborMembership;

const KINDS: readonly NeighborKind[] = [
  MessageKind.NeighborPing,
  MessageKind.NeighborAck,
  MessageKind.NeighborAccuse,
  MessageKind.NeighborNotice,
  MessageKind.NeighborMembership,
];

function encode(kind: NeighborKind, ids: readonly MemberId[], states: readonly number[]): Uint8Array {
  if (ids.length > MAX_ENTRIES) throw new RangeError(`Cannot encode ${ids.length} entries in one datagram`);
  const bytes = new Uint8Array(neighborMessageBytes(ids.length));
  const view = new DataView(bytes.buffer);
  let at = HEADER_BYTES;
  for (let i = 0; i < ids.length; i++) {
    view.setUint32(at, Math.floor(ids[i]! / 65536));
    view.setUint16(at + 4, ids[i]! % 65536);
    view.setUint16(at + 6, states[i]!);
    at += ENTRY_BYTES;
  }
  return sealDatagram(bytes, kind, ids.length);
}

/** Decodes a neighbour-protocol datagram; throws {@linkcode DecodeError} when malformed. */
export function decodeNeighborMessage(
  bytes: Uint8Array,
): { kind: NeighborKind; ids: MemberId[]; states: number[] } {
  const { kind, count, view } = openDatagram(bytes, KINDS, (n) => ENTRY_BYTES * n);
  if ((kind === MessageKind.NeighborPing || kind === MessageKind.NeighborAck) && count !== 0) {
    throw new DecodeError("entry", 2, `Cannot decode a ping or ack with ${count} entries: it carries none`);
  }
  const ids: MemberId[] = [];
  const states: number[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const port = view.getUint16(at + 4);
    if (port === 0) throw new DecodeError("entry", at + 4, `Cannot decode entry ${i}: port 0 names no member`);
    ids.push(view.getUint32(at) * 65536 + port);
    states.push(view.getUint16(at + 6));
    at += ENTRY_BYTES;
  }
  return { kind: kind as NeighborKind, ids, states };
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
  const d = NEIGHBOR_DEFAULTS;
  const pingIntervalMs = options.pingIntervalMs ?? d.pingIntervalMs;
  const pingTimeoutMs = options.pingTimeoutMs ?? d.pingTimeoutMs;
  const missesToSuspect = options.missesToSuspect ?? d.missesToSuspect;
  const perSide = options.neighborsPerSide ?? d.neighborsPerSide;
  const quorum = options.quorum ?? d.quorum;
  const noticeIntervalMs = options.noticeIntervalMs ?? d.noticeIntervalMs;
  const membershipIntervalMs = options.membershipIntervalMs ?? d.membershipIntervalMs;
  const positive = (field: string, v: number) => {
    if (!(v > 0 && Number.isFinite(v))) {
      throw new ConfigError(field, `'${field}' must be positive: current value is ${v}`);
    }
  };
  positive("pingIntervalMs", pingIntervalMs);
  positive("pingTimeoutMs", pingTimeoutMs);
  positive("noticeIntervalMs", noticeIntervalMs);
  positive("membershipIntervalMs", membershipIntervalMs);
  if (!(pingTimeoutMs < pingIntervalMs)) {
    throw new ConfigError(
      "pingTimeoutMs",
      `'pingTimeoutMs' must be below 'pingIntervalMs' (${pingIntervalMs}): current value is ${pingTimeoutMs}`,
    );
  }
  for (const [field, v] of [["missesToSuspect", missesToSuspect], ["neighborsPerSide", perSide], ["quorum", quorum]]) {
    if (!(Number.isInteger(v) && (v as number) >= 1)) {
      throw new ConfigError(field as string, `'${field}' must be an integer >= 1: current value is ${v}`);
    }
  }
  if (quorum > 2 * perSide) {
    throw new ConfigError(
      "quorum",
      `'quorum' must be <= 2 * neighborsPerSide (${2 * perSide} pingers): current value is ${quorum}`,
    );
  }

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
  let incarnation = 0;
  let notices: Notice[] = [];
  const repeats = () => Math.ceil(3 * Math.log2(members.size + 2));
  let nextPingMs = startMs + rng() * pingIntervalMs;
  let nextNoticeMs = startMs + rng() * noticeIntervalMs;
  let nextMembershipMs = startMs + rng() * membershipIntervalMs;

  const alive = (m: Member) => (m.state & 1) === 0;

  /** The ring of live members and self, sorted by id. */
  function ring(): MemberId[] {
    const ids = [self];
    for (const [id, m] of members) if (alive(m)) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  /** The `perSide` next-higher and next-lower members of `of` on `r` (distinct, without `of`). */
  function neighborsOf(of: MemberId, r: readonly MemberId[]): MemberId[] {
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
    if (notices.length === 0) nextNoticeMs = Math.max(nextNoticeMs, nowMs);
    notices = notices.filter((n) => n.member !== member);
    notices.push({ member, state, left: repeats() });
  }

  /** Applies (member, state) heard from a peer: the higher state wins. */
  function apply(id: MemberId, state: number, nowMs: number, events: DetectorEvent[], spread: boolean): void {
    if (id === self) {
      if ((state & 1) === 1 && state >> 1 >= incarnation) {
        incarnation = (state >> 1) + 1;
        enqueue(self, incarnation * 2, nowMs);
      }
      return;
    }
    const m = members.get(id);
    if (m === undefined) {
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
      if (!spread) notices = notices.filter((n) => n.member !== id);
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
        const bytes = encode(MessageKind.NeighborAccuse, [id], [m.state]);
        for (const pinger of neighborsOf(id, r)) {
          if (pinger !== self) sends.push({ to: pinger, bytes });
        }
        accuse(id, m, self, nowMs, events);
        if (!alive(m)) continue;
      }
      m.lastPingMs = nowMs;
      m.ackedInTime = false;
      sends.push({ to: id, bytes: encode(MessageKind.NeighborPing, [], []) });
    }
  }

  function liveTargets(): MemberId[] {
    const out: MemberId[] = [];
    for (const [id, m] of members) if (alive(m)) out.push(id);
    return out;
  }

  function noticeRound(nowMs: number, sends: Send[]): void {
    if (notices.length === 0) return;
    while (nextNoticeMs <= nowMs) nextNoticeMs += noticeIntervalMs;
    const targets = liveTargets();
    if (targets.length === 0) return;
    const batch = notices.slice(0, Math.min(notices.length, MAX_ENTRIES));
    sends.push({
      to: targets[randomIndex(rng, targets.length)]!,
      bytes: encode(MessageKind.NeighborNotice, batch.map((n) => n.member), batch.map((n) => n.state)),
    });
    for (const n of batch) n.left--;
    notices = notices.filter((n) => n.left > 0);
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
      bytes: encode(MessageKind.NeighborMembership, ids, states),
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
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      switch (kind) {
        case MessageKind.NeighborPing:
          sends.push({ to: from, bytes: encode(MessageKind.NeighborAck, [], []) });
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
      return Math.min(nextPingMs, notices.length > 0 ? nextNoticeMs : Infinity, nextMembershipMs);
    },
    pingTargets: () => neighborsOf(self, ring()),
    failedMembers: () => [...members].filter(([, m]) => !alive(m)).map(([id]) => id),
  };
}
