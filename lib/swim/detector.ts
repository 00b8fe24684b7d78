/**
 * SWIM (Das, Gupta and Motivala 2002) as a pure state machine behind the
 * same {@linkcode Detector} seam as the basic detector.
 *
 * - Every protocol period T' a member probes the next member of a shuffled
 *   round-robin list with a ping. Without an ack within the ping timeout it
 *   asks k other members to probe the target for it (ping-req); they relay
 *   the ack back.
 * - Without any ack by the end of the period, the target becomes
 *   *suspected* (a `suspected` event) and the suspicion is disseminated.
 *   A suspected member that hears of it refutes it by raising its
 *   incarnation number; otherwise, after the suspicion timeout, it is
 *   declared dead (a `failed` event).
 * - Membership updates (alive, suspect, dead, with incarnations) ride on
 *   every ping, ack and ping-req, each retransmitted λ log n times; with
 *   `gossipIntervalMs` they also go out on their own (memberlist).
 * - Lifeguard's three parts can be turned on one by one (see
 *   {@linkcode SwimProtocolOptions}); defaults and formulas live in
 *   `options.ts` and `suspicion.ts`.
 *
 * Cost: `tick`, `receive` and `nextDeadlineMs` do O(1) or O(log n) work
 * per call, amortised (suspicion deadlines in an indexed heap, random
 * helpers and gossip targets drawn by rank from Fenwick trees, the
 * piggyback queue a heap over queued updates only). The probe order is a
 * fresh shuffle of every known member each round, dead ones skipped when
 * their turn comes: n draws per round of `live` probes, so O(1) per period
 * while most members are alive but O(n / live) when most are dead (up to
 * two shuffles per period when none is left). That is the original
 * behaviour, random draws included; shuffling only live members (as
 * memberlist does) would change which member is probed when. Per-member
 * state is a few typed-array cells indexed by the member's slot (its order
 * of first appearance).
 *
 * Hostile input: the member table grows by at most what one datagram's
 * updates could name ({@linkcode MAX_PIGGYBACK} members, self included,
 * unless the initial list is longer); an incarnation claim of 2^32 - 1
 * about this member cannot be outbid and is ignored. With `closedGroup`
 * only the initial members are ever admitted, only their datagrams are
 * read, and a ping-req is relayed only to one of them.
 *
 * @module
 */

import { MessageKind } from "../core/wire.ts";
import { type Detector, type DetectorEvent, EMPTY_STEP, type Send, type Step } from "../core/detector.ts";
import type { MemberId } from "../core/member_id.ts";
import type { Prng } from "../core/prng.ts";
import { decodeSwim, encodeSwim, type SwimKind, SwimStatus } from "./codec.ts";
import { MAX_PIGGYBACK, resolveSwimOptions, type SwimProtocolOptions } from "./options.ts";
import { lifeguardSuspicionTimeoutMs } from "./suspicion.ts";
import { MemberTable } from "./_member_table.ts";
import { PiggybackQueue } from "./_piggyback_queue.ts";
import { SlotTable } from "./_slot_table.ts";

export {
  MAX_PIGGYBACK,
  type ResolvedSwimOptions,
  resolveSwimOptions,
  SWIM_DEFAULTS,
  type SwimProtocolOptions,
} from "./options.ts";

/**
 * Options of {@linkcode createSwimDetector}: who and when, plus SWIM's
 * settings (each documented with its default in {@linkcode SwimProtocolOptions}).
 */
export interface SwimOptions extends SwimProtocolOptions {
  /** This member's public address. */
  readonly self: MemberId;
  /** Members known at start (may include `self`). */
  readonly members: readonly MemberId[];
  /** Seeded randomness (probe order, indirect probers, gossip targets). */
  readonly rng: Prng;
  /** Time the detector starts (ms). */
  readonly startMs: number;
  /**
   * The group is closed: only the members of `members` are ever admitted.
   * Updates about anyone else are ignored, and so is every datagram whose
   * sender is not a member (no state change, no reply); a ping-req is
   * relayed only to a member. For deployments that know every member at
   * start (the harness does): an unknown id is then hostile, not a join.
   * Whatever this says, the member table grows to at most
   * {@linkcode MAX_PIGGYBACK} members (self included; more only when the
   * initial list is longer): updates about new members beyond are ignored.
   * @default {false}
   */
  readonly closedGroup?: boolean;
}

/** Largest incarnation on the wire (4 bytes): a claim at it cannot be refuted. */
const MAX_INCARNATION = 0xffffffff;

/** The SWIM detector, with read access for tests and tools. */
export interface SwimDetector extends Detector {
  /** This member's incarnation number. */
  readonly incarnation: number;
  /**
   * Lifeguard's local health score (0 = healthy, always 0 without
   * `awareness`); the period and ping timeout are scaled by score + 1.
   */
  readonly health: number;
  /** A member's status as this member sees it. */
  statusOf(member: MemberId): "alive" | "suspect" | "dead" | undefined;
  /** Always defined: SWIM probes forever. */
  nextDeadlineMs(): number;
}

const STATUS_NAMES = ["alive", "suspect", "dead"] as const;

/** A ping-req we are relaying: our ping's seq, whose request, their seq. */
interface Relay {
  readonly seq: number;
  readonly requester: MemberId;
  readonly requesterSeq: number;
  readonly expiresMs: number;
}

/**
 * Creates a SWIM detector.
 *
 * @throws {ConfigError} (from `lib/core/errors.ts`) naming a setting out of range.
 */
export function createSwimDetector(options: SwimOptions): SwimDetector {
  const { self, rng, startMs } = options;

  // Member table: slot = order of first appearance (self has none).
  const slotOf = new SlotTable(options.members.length);
  const initial: MemberId[] = [];
  for (const m of options.members) {
    if (m !== self && slotOf.get(m) < 0) {
      slotOf.add(m, initial.length);
      initial.push(m);
    }
  }
  const closed = options.closedGroup ?? false;
  /** Most members (self included) the table may hold: new members beyond are not admitted. */
  const maxMembers = Math.max(MAX_PIGGYBACK, initial.length + 1);
  const cfg = resolveSwimOptions(options, initial.length + 1);
  const period = cfg.protocolPeriodMs;
  const { pingTimeoutMs, indirectChecks, maxPiggyback, gossipNodes, awareness, dynamicSuspicion, buddy } = cfg;
  const transmits = cfg.retransmits;
  const confirmationsNeeded = cfg.confirmationsNeeded;
  const maxHealth = cfg.maxHealthMultiplier;
  const gossipInterval = cfg.gossipIntervalMs;

  /** Dynamic suspicion, by suspected slot: when it started, who suspected (the first is not a confirmation). */
  const suspicions = new Map<number, { readonly since: number; readonly by: Set<MemberId> }>();
  const table = new MemberTable(initial, slotOf, rng, gossipInterval !== null, (slot) => {
    if (dynamicSuspicion) suspicions.delete(slot);
  });
  const { deadlines, alive } = table;
  /** Piggyback queue; key 0 is self, member slot s is key s + 1. */
  const queue = new PiggybackQueue();

  let health = 0;
  const scale = () => (awareness ? health + 1 : 1);
  const adjustHealth = (delta: number) => {
    if (awareness) health = Math.min(maxHealth - 1, Math.max(0, health + delta));
  };
  const suspicionTimeout = (c: number) =>
    dynamicSuspicion
      ? lifeguardSuspicionTimeoutMs(c, confirmationsNeeded, cfg.suspicionTimeoutMs)
      : cfg.suspicionTimeoutMs;

  // Same draw order as always: gossip phase first (when on), then the probe phase.
  let nextGossipMs = gossipInterval !== null ? startMs + rng() * gossipInterval : Infinity;
  let incarnation = 0;
  let seq = 0;
  let nextPeriodMs = startMs + rng() * period;
  // The current probe (target slot, or -1 for none).
  let probeTarget = -1;
  let probeSeq = 0;
  let probeSentAtMs = 0;
  let probeAcked = false;
  let probeIndirectSent = false;
  // Relays by our ping's seq, and in the order they expire (all last one period).
  const relays = new Map<number, Relay>();
  let relayFifo: Relay[] = [];
  let relayHead = 0;

  const enqueue = (slot: number, inc: number, st: SwimStatus) =>
    queue.enqueue(slot + 1, table.ids[slot]!, inc, st, transmits);

  function message(kind: SwimKind, to: MemberId, s: number, target: MemberId = 0): Send {
    // Lifeguard's buddy system: a message to a suspected member carries its suspicion first.
    const toSlot = buddy ? slotOf.get(to) : -1;
    const updates = queue.take(maxPiggyback, toSlot >= 0 ? toSlot + 1 : -1);
    return { to, bytes: encodeSwim({ kind, seq: s, target, updates }) };
  }

  function suspect(slot: number, inc: number, now: number, events: DetectorEvent[], by?: MemberId): void {
    if (table.status[slot] !== SwimStatus.Alive || inc < table.incarnations[slot]!) return;
    table.setStatus(slot, SwimStatus.Suspect);
    table.incarnations[slot] = inc;
    if (dynamicSuspicion) suspicions.set(slot, { since: now, by: new Set(by !== undefined ? [by] : []) });
    deadlines.set(slot, now + suspicionTimeout(0));
    events.push({ kind: "suspected", member: table.ids[slot]!, atMs: now });
    enqueue(slot, inc, SwimStatus.Suspect);
  }

  function apply(
    member: MemberId,
    inc: number,
    st: SwimStatus,
    from: MemberId,
    now: number,
    events: DetectorEvent[],
  ): void {
    if (member === self) {
      // Refute any suspicion or death notice about us that is not older than us (and can be outbid).
      if (st !== SwimStatus.Alive && inc >= incarnation && inc < MAX_INCARNATION) {
        // Lifeguard: being suspected hints that we are the slow one.
        adjustHealth(+1);
        incarnation = inc + 1;
        queue.enqueue(0, self, incarnation, SwimStatus.Alive, transmits);
      }
      return;
    }
    let slot = slotOf.get(member);
    if (slot < 0) {
      if (st === SwimStatus.Dead || closed || table.count + 1 >= maxMembers) return;
      slot = table.add(member, inc);
      events.push({ kind: "joined", member, atMs: now });
      enqueue(slot, inc, SwimStatus.Alive);
      if (st === SwimStatus.Suspect) suspect(slot, inc, now, events, from);
      return;
    }
    const current = table.status[slot]!;
    switch (st) {
      case SwimStatus.Alive:
        if (inc > table.incarnations[slot]!) {
          table.incarnations[slot] = inc;
          table.setStatus(slot, SwimStatus.Alive);
          if (current !== SwimStatus.Alive) events.push({ kind: "trusted", member, atMs: now });
          enqueue(slot, inc, st);
        }
        return;
      case SwimStatus.Suspect:
        if (current === SwimStatus.Alive) suspect(slot, inc, now, events, from);
        else if (current === SwimStatus.Suspect) {
          if (inc > table.incarnations[slot]!) table.incarnations[slot] = inc;
          // Lifeguard: an independent confirmation shortens the suspicion.
          const s = dynamicSuspicion && inc === table.incarnations[slot] ? suspicions.get(slot) : undefined;
          if (s && !s.by.has(from)) {
            s.by.add(from);
            // The first suspecter is not a confirmation; each further distinct one is.
            deadlines.set(slot, s.since + suspicionTimeout(s.by.size - 1));
          }
        }
        return;
      case SwimStatus.Dead:
        if (current !== SwimStatus.Dead && inc >= table.incarnations[slot]!) {
          table.setStatus(slot, SwimStatus.Dead);
          table.incarnations[slot] = inc;
          events.push({ kind: "failed", member, atMs: now });
          enqueue(slot, inc, st);
        }
        return;
    }
  }

  return {
    id: self,
    get incarnation() {
      return incarnation;
    },
    get health() {
      return health;
    },
    statusOf(member: MemberId) {
      const slot = slotOf.get(member);
      return slot >= 0 ? STATUS_NAMES[table.status[slot]!] : undefined;
    },
    tick(now: number): Step {
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      // Suspicions that ran out: dead (in slot order when several run out together).
      if (deadlines.peekTime() <= now) {
        const expired: number[] = [];
        while (deadlines.peekTime() <= now) {
          const slot = deadlines.peekSlot();
          deadlines.delete(slot);
          expired.push(slot);
        }
        if (expired.length > 1) expired.sort((a, b) => a - b);
        for (const slot of expired) {
          table.setStatus(slot, SwimStatus.Dead);
          events.push({ kind: "failed", member: table.ids[slot]!, atMs: now });
          enqueue(slot, table.incarnations[slot]!, SwimStatus.Dead);
        }
      }
      // memberlist's separate gossip of queued updates.
      if (now >= nextGossipMs) {
        while (nextGossipMs <= now) nextGossipMs += gossipInterval!;
        if (queue.size > 0) {
          const updates = queue.take(maxPiggyback);
          for (const slot of table.draw(table.live!, gossipNodes, -1)) {
            sends.push({
              to: table.ids[slot]!,
              bytes: encodeSwim({ kind: MessageKind.SwimGossip, seq: 0, target: 0, updates }),
            });
          }
        }
      }
      // No direct ack in time: ask k others to probe.
      if (
        probeTarget >= 0 && !probeAcked && !probeIndirectSent && now >= probeSentAtMs + pingTimeoutMs * scale()
      ) {
        probeIndirectSent = true;
        const target = table.ids[probeTarget]!;
        for (const helper of table.draw(alive, indirectChecks, probeTarget)) {
          sends.push(message(MessageKind.SwimPingReq, table.ids[helper]!, probeSeq, target));
        }
      }
      if (now >= nextPeriodMs) {
        if (probeTarget >= 0 && !probeAcked) {
          // Lifeguard: our own failed probe lowers our health (maybe we are the slow one).
          adjustHealth(+1);
          suspect(probeTarget, table.incarnations[probeTarget]!, now, events);
        } else if (probeTarget >= 0) adjustHealth(-1);
        while (nextPeriodMs <= now) nextPeriodMs += period * scale();
        while (relayHead < relayFifo.length && relayFifo[relayHead]!.expiresMs <= now) {
          const r = relayFifo[relayHead++]!;
          if (relays.get(r.seq) === r) relays.delete(r.seq);
        }
        if (relayHead > 64 && relayHead * 2 > relayFifo.length) {
          relayFifo = relayFifo.slice(relayHead);
          relayHead = 0;
        }
        const target = table.nextTarget();
        probeTarget = target;
        if (target >= 0) {
          seq = (seq + 1) >>> 0;
          probeSeq = seq;
          probeSentAtMs = now;
          probeAcked = false;
          probeIndirectSent = false;
          sends.push(message(MessageKind.SwimPing, table.ids[target]!, seq));
        }
      }
      return { sends, events };
    },
    receive(from: MemberId, bytes: Uint8Array, now: number): Step {
      const m = decodeSwim(bytes);
      if (closed && from !== self && slotOf.get(from) < 0) return EMPTY_STEP;
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      for (const u of m.updates) apply(u.member, u.incarnation, u.status, from, now, events);
      switch (m.kind) {
        case MessageKind.SwimPing:
          sends.push(message(MessageKind.SwimAck, from, m.seq));
          break;
        case MessageKind.SwimAck: {
          if (probeTarget >= 0 && m.seq === probeSeq) probeAcked = true;
          const relay = relays.get(m.seq);
          if (relay) {
            relays.delete(m.seq);
            sends.push(message(MessageKind.SwimAck, relay.requester, relay.requesterSeq));
          }
          break;
        }
        case MessageKind.SwimPingReq: {
          if (closed && slotOf.get(m.target) < 0) break;
          seq = (seq + 1) >>> 0;
          const relay = { seq, requester: from, requesterSeq: m.seq, expiresMs: now + period };
          relays.set(seq, relay);
          relayFifo.push(relay);
          sends.push(message(MessageKind.SwimPing, m.target, seq));
          break;
        }
      }
      return { sends, events };
    },
    nextDeadlineMs(): number {
      let next = Math.min(nextPeriodMs, nextGossipMs, deadlines.peekTime());
      if (probeTarget >= 0 && !probeAcked && !probeIndirectSent) {
        next = Math.min(next, probeSentAtMs + pingTimeoutMs * scale());
      }
      return next;
    },
  };
}
