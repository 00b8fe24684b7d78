/**
 * TEMPORARY: the SWIM detector exactly as it was before the O(1)/O(log n)
 * rewrite (lib/swim/detector.ts at 8884289), kept only as the reference of
 * the differential test (tests/swim_differential_test.ts) and the "before"
 * column of tests/swim_bench.ts. Only the imports and the factory's name
 * differ from the original.
 *
 * @module
 */

import { MessageKind } from "../lib/basic/codec.ts";
import { ConfigError } from "../lib/basic/config.ts";
import type { Detector, DetectorEvent, Send, Step } from "../lib/core/detector.ts";
import type { MemberId } from "../lib/core/member_id.ts";
import { type Prng, randomIndex } from "../lib/core/prng.ts";
import { decodeSwim, encodeSwim, type SwimKind, SwimStatus, type SwimUpdate } from "../lib/swim/codec.ts";

/** Options of {@linkcode createSwimDetector}. */
export interface SwimOptions {
  /** This member's public address. */
  readonly self: MemberId;
  /** Members known at start (may include `self`). */
  readonly members: readonly MemberId[];
  /** Protocol period T' (ms). @default {1000} */
  readonly protocolPeriodMs?: number;
  /** Direct ping timeout (ms), below T'. @default {500} */
  readonly pingTimeoutMs?: number;
  /** Members asked to probe indirectly, k. @default {3} */
  readonly indirectChecks?: number;
  /** Suspicion multiplier (memberlist's SuspicionMult). @default {4} */
  readonly suspicionMult?: number;
  /** Overrides the suspicion timeout (ms). */
  readonly suspicionTimeoutMs?: number;
  /** Retransmissions of an update: retransmitMult * ceil(log10(n + 1)). @default {4} */
  readonly retransmitMult?: number;
  /** Most updates piggybacked on one message. @default {8} */
  readonly maxPiggyback?: number;
  /**
   * Lifeguard's extensions (HashiCorp memberlist): a local health
   * multiplier that stretches the probe period and timeout while this
   * member's own probes fail; a suspicion timeout that starts at 6x the
   * minimum and shrinks with independent confirmations; and the buddy
   * system (a ping to a suspected member carries its suspicion first).
   * @default {false}
   */
  readonly lifeguard?: boolean;
  /**
   * memberlist's separate gossip: every `gossipIntervalMs`, queued updates
   * go to `gossipNodes` random members in a message of their own, besides
   * riding on probes. Absent by default (the SWIM paper disseminates by
   * piggybacking only).
   */
  readonly gossipIntervalMs?: number;
  /** Members each separate gossip goes to. @default {3} */
  readonly gossipNodes?: number;
  /** Largest local health multiplier (memberlist's AwarenessMaxMultiplier). @default {8} */
  readonly maxHealthMultiplier?: number;
  /** Seeded randomness (probe order, indirect probers). */
  readonly rng: Prng;
  /** Time the detector starts (ms). */
  readonly startMs: number;
}

interface MemberState {
  incarnation: number;
  status: SwimStatus;
  suspectDeadlineMs: number;
  /** Lifeguard: when the suspicion started and who confirmed it. */
  suspectSinceMs: number;
  confirmations: Set<MemberId>;
}

interface Probe {
  target: MemberId;
  seq: number;
  sentAtMs: number;
  acked: boolean;
  indirectSent: boolean;
}

/** The SWIM detector, with read access for tests and tools. */
export interface SwimDetector extends Detector {
  /** This member's incarnation number. */
  readonly incarnation: number;
  /** Lifeguard's local health score (0 = healthy); the period and timeout are scaled by score + 1. */
  readonly health: number;
  /** A member's status as this member sees it. */
  statusOf(member: MemberId): "alive" | "suspect" | "dead" | undefined;
  /** Always defined: SWIM probes forever. */
  nextDeadlineMs(): number;
}

const STATUS_NAMES = ["alive", "suspect", "dead"] as const;

function fresh(incarnation: number): MemberState {
  return {
    incarnation,
    status: SwimStatus.Alive,
    suspectDeadlineMs: Infinity,
    suspectSinceMs: Infinity,
    confirmations: new Set(),
  };
}

/** Creates a SWIM detector (the reference implementation). */
export function createReferenceSwimDetector(options: SwimOptions): SwimDetector {
  const {
    self,
    rng,
    startMs,
    protocolPeriodMs: period = 1000,
    pingTimeoutMs = 500,
    indirectChecks = 3,
    suspicionMult = 4,
    retransmitMult = 4,
    maxPiggyback = 8,
  } = options;
  if (!(period > 0)) {
    throw new ConfigError("protocolPeriodMs", `'protocolPeriodMs' must be > 0: current value is ${period}`);
  }
  if (!(pingTimeoutMs > 0 && pingTimeoutMs < period)) {
    throw new ConfigError(
      "pingTimeoutMs",
      `'pingTimeoutMs' must be in (0, protocolPeriodMs = ${period}): current value is ${pingTimeoutMs}`,
    );
  }
  if (!Number.isInteger(indirectChecks) || indirectChecks < 0) {
    throw new ConfigError(
      "indirectChecks",
      `'indirectChecks' must be an integer >= 0: current value is ${indirectChecks}`,
    );
  }
  const members = new Map<MemberId, MemberState>();
  for (const m of options.members) {
    if (m !== self) members.set(m, fresh(0));
  }
  const n = members.size + 1;
  const suspicionTimeoutMs = options.suspicionTimeoutMs ?? suspicionMult * Math.max(1, Math.log10(n)) * period;
  const lifeguard = options.lifeguard ?? false;
  const maxHealth = Math.max(1, options.maxHealthMultiplier ?? 8);
  // Lifeguard's suspicion timeout: from 6x the minimum down to the minimum after K confirmations.
  const confirmationsNeeded = Math.max(1, suspicionMult - 2);
  let health = 0;
  const scale = () => (lifeguard ? health + 1 : 1);
  const suspicionTimeout = (confirmations: number) => {
    if (!lifeguard) return suspicionTimeoutMs;
    const min = suspicionTimeoutMs;
    const max = 6 * min;
    return Math.max(min, max - ((max - min) * Math.log(confirmations + 1)) / Math.log(confirmationsNeeded + 1));
  };
  const adjustHealth = (delta: number) => {
    if (lifeguard) health = Math.min(maxHealth - 1, Math.max(0, health + delta));
  };
  const transmits = Math.max(1, retransmitMult * Math.ceil(Math.log10(n + 1)));
  const gossipInterval = options.gossipIntervalMs;
  if (gossipInterval !== undefined && !(gossipInterval > 0)) {
    throw new ConfigError("gossipIntervalMs", `'gossipIntervalMs' must be > 0: current value is ${gossipInterval}`);
  }
  const gossipNodes = options.gossipNodes ?? 3;
  let nextGossipMs = gossipInterval !== undefined ? startMs + rng() * gossipInterval : Infinity;
  let incarnation = 0;
  let seq = 0;
  let order: MemberId[] = [];
  let probe: Probe | undefined;
  let nextPeriodMs = startMs + rng() * period;
  const relays = new Map<number, { requester: MemberId; seq: number; expiresMs: number }>();
  const queue = new Map<MemberId, { update: SwimUpdate; left: number }>();

  const enqueue = (update: SwimUpdate) => queue.set(update.member, { update, left: transmits });

  function piggyback(to?: MemberId): SwimUpdate[] {
    const all = [...queue.values()].sort((a, b) => b.left - a.left);
    // Lifeguard's buddy system: a message to a suspected member carries its suspicion first.
    if (lifeguard && to !== undefined) {
      const own = all.findIndex((p) => p.update.member === to && p.update.status === SwimStatus.Suspect);
      if (own > 0) all.unshift(...all.splice(own, 1));
    }
    const picked = all.slice(0, maxPiggyback);
    for (const p of picked) {
      p.left--;
      if (p.left <= 0) queue.delete(p.update.member);
    }
    return picked.map((p) => p.update);
  }

  function message(kind: SwimKind, to: MemberId, s: number, target: MemberId = 0): Send {
    return { to, bytes: encodeSwim({ kind, seq: s, target, updates: piggyback(to) }) };
  }

  function nextTarget(): MemberId | undefined {
    for (let tries = 0; tries < 2; tries++) {
      while (order.length > 0) {
        const m = order.pop()!;
        if (members.get(m)?.status !== SwimStatus.Dead) return m;
      }
      // Round-robin over a fresh shuffle (Fisher-Yates), as SWIM prescribes.
      order = [...members.keys()];
      for (let i = order.length - 1; i > 0; i--) {
        const j = randomIndex(rng, i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    return undefined;
  }

  function suspect(member: MemberId, inc: number, now: number, events: DetectorEvent[], by?: MemberId): void {
    const s = members.get(member);
    if (!s || s.status !== SwimStatus.Alive || inc < s.incarnation) return;
    s.status = SwimStatus.Suspect;
    s.incarnation = inc;
    s.suspectSinceMs = now;
    s.confirmations = new Set(by !== undefined ? [by] : []);
    s.suspectDeadlineMs = now + suspicionTimeout(0);
    events.push({ kind: "suspected", member, atMs: now });
    enqueue({ member, incarnation: inc, status: SwimStatus.Suspect });
  }

  function apply(u: SwimUpdate, from: MemberId, now: number, events: DetectorEvent[]): void {
    if (u.member === self) {
      // Refute any suspicion or death notice about us that is not older than us.
      if (u.status !== SwimStatus.Alive && u.incarnation >= incarnation) {
        // Lifeguard: being suspected hints that we are the slow one.
        adjustHealth(+1);
        incarnation = u.incarnation + 1;
        enqueue({ member: self, incarnation, status: SwimStatus.Alive });
      }
      return;
    }
    let s = members.get(u.member);
    if (!s) {
      if (u.status === SwimStatus.Dead) return;
      s = fresh(u.incarnation);
      members.set(u.member, s);
      events.push({ kind: "joined", member: u.member, atMs: now });
      enqueue({ member: u.member, incarnation: u.incarnation, status: SwimStatus.Alive });
      if (u.status === SwimStatus.Suspect) suspect(u.member, u.incarnation, now, events, from);
      return;
    }
    switch (u.status) {
      case SwimStatus.Alive:
        if (u.incarnation > s.incarnation) {
          const wasDown = s.status !== SwimStatus.Alive;
          s.incarnation = u.incarnation;
          s.status = SwimStatus.Alive;
          s.suspectDeadlineMs = Infinity;
          if (wasDown) events.push({ kind: "trusted", member: u.member, atMs: now });
          enqueue(u);
        }
        return;
      case SwimStatus.Suspect:
        if (s.status === SwimStatus.Alive) suspect(u.member, u.incarnation, now, events, from);
        else if (s.status === SwimStatus.Suspect) {
          if (u.incarnation > s.incarnation) s.incarnation = u.incarnation;
          // Lifeguard: an independent confirmation shortens the suspicion.
          if (lifeguard && u.incarnation === s.incarnation && !s.confirmations.has(from)) {
            s.confirmations.add(from);
            // The first suspecter is not a confirmation; each further distinct one is.
            s.suspectDeadlineMs = s.suspectSinceMs + suspicionTimeout(s.confirmations.size - 1);
          }
        }
        return;
      case SwimStatus.Dead:
        if (s.status !== SwimStatus.Dead && u.incarnation >= s.incarnation) {
          s.status = SwimStatus.Dead;
          s.incarnation = u.incarnation;
          s.suspectDeadlineMs = Infinity;
          events.push({ kind: "failed", member: u.member, atMs: now });
          enqueue(u);
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
      const s = members.get(member);
      return s ? STATUS_NAMES[s.status] : undefined;
    },
    tick(now: number): Step {
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      // Suspicions that ran out: dead.
      for (const [member, s] of members) {
        if (s.status === SwimStatus.Suspect && now >= s.suspectDeadlineMs) {
          s.status = SwimStatus.Dead;
          s.suspectDeadlineMs = Infinity;
          events.push({ kind: "failed", member, atMs: now });
          enqueue({ member, incarnation: s.incarnation, status: SwimStatus.Dead });
        }
      }
      // memberlist's separate gossip of queued updates.
      if (now >= nextGossipMs) {
        while (nextGossipMs <= now) nextGossipMs += gossipInterval!;
        if (queue.size > 0) {
          const targets = [...members].filter(([, s]) => s.status !== SwimStatus.Dead).map(([m]) => m);
          const updates = piggyback();
          for (let i = 0; i < gossipNodes && targets.length > 0; i++) {
            const to = targets.splice(randomIndex(rng, targets.length), 1)[0]!;
            sends.push({ to, bytes: encodeSwim({ kind: MessageKind.SwimGossip, seq: 0, target: 0, updates }) });
          }
        }
      }
      // No direct ack in time: ask k others to probe.
      if (probe && !probe.acked && !probe.indirectSent && now >= probe.sentAtMs + pingTimeoutMs * scale()) {
        probe.indirectSent = true;
        const helpers = [...members].filter(([m, s]) => m !== probe!.target && s.status === SwimStatus.Alive).map((
          [m],
        ) => m);
        for (let i = 0; i < indirectChecks && helpers.length > 0; i++) {
          const helper = helpers.splice(randomIndex(rng, helpers.length), 1)[0]!;
          sends.push(message(MessageKind.SwimPingReq, helper, probe.seq, probe.target));
        }
      }
      if (now >= nextPeriodMs) {
        if (probe && !probe.acked) {
          // Lifeguard: our own failed probe lowers our health (maybe we are the slow one).
          adjustHealth(+1);
          const s = members.get(probe.target);
          if (s) suspect(probe.target, s.incarnation, now, events);
        } else if (probe) adjustHealth(-1);
        while (nextPeriodMs <= now) nextPeriodMs += period * scale();
        for (const [k, r] of relays) if (r.expiresMs <= now) relays.delete(k);
        const target = nextTarget();
        probe = undefined;
        if (target !== undefined) {
          seq = (seq + 1) >>> 0;
          probe = { target, seq, sentAtMs: now, acked: false, indirectSent: false };
          sends.push(message(MessageKind.SwimPing, target, seq));
        }
      }
      return { sends, events };
    },
    receive(from: MemberId, bytes: Uint8Array, now: number): Step {
      const m = decodeSwim(bytes);
      const sends: Send[] = [];
      const events: DetectorEvent[] = [];
      for (const u of m.updates) apply(u, from, now, events);
      switch (m.kind) {
        case MessageKind.SwimPing:
          sends.push(message(MessageKind.SwimAck, from, m.seq));
          break;
        case MessageKind.SwimAck: {
          if (probe && m.seq === probe.seq) probe.acked = true;
          const relay = relays.get(m.seq);
          if (relay) {
            relays.delete(m.seq);
            sends.push(message(MessageKind.SwimAck, relay.requester, relay.seq));
          }
          break;
        }
        case MessageKind.SwimPingReq: {
          seq = (seq + 1) >>> 0;
          relays.set(seq, { requester: from, seq: m.seq, expiresMs: now + period });
          sends.push(message(MessageKind.SwimPing, m.target, seq));
          break;
        }
      }
      return { sends, events };
    },
    nextDeadlineMs(): number {
      let next = Math.min(nextPeriodMs, nextGossipMs);
      if (probe && !probe.acked && !probe.indirectSent) next = Math.min(next, probe.sentAtMs + pingTimeoutMs * scale());
      for (const s of members.values()) if (s.status === SwimStatus.Suspect) next = Math.min(next, s.suspectDeadlineMs);
      return next;
    },
  };
}
