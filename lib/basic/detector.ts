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
 * Hostile input: the list never grows past what one datagram carries
 * (`MAX_ENTRIES` entries, self included), and with `closedGroup` only the
 * initial members are ever admitted and only their datagrams are read.
 *
 * @module
 */

import { decodeMessage, encodeHeartbeatList, type ListKind, MAX_ENTRIES, serialDelta16 } from "./codec.ts";
import { ConfigError } from "../core/errors.ts";
import { type Detector, type DetectorEvent, EMPTY_STEP, type Send, type Step } from "../core/detector.ts";
import type { MemberId } from "../core/member_id.ts";
import { MessageKind } from "../core/wire.ts";
import { checkCatastrophe, decideBroadcast } from "./catastrophe.ts";
import { answerDigest, answerRequests, type DigestView } from "./digest.ts";
import { PhiAccrual, type PhiSamples, resolvePhiOptions } from "./phi.ts";
import { targetChooser } from "./topology.ts";
import { type BasicGossipOptions, DISSEMINATION_STYLES } from "./options.ts";

interface Entry {
  /** Full (unwrapped) heartbeat counter. */
  counter: number;
  /** Local time the counter last increased. */
  lastIncreaseMs: number;
  /** Silent for T_fail: no longer gossiped to or about. */
  silent: boolean;
  /** Reported failed (at T_fail, or later with catastrophe recovery). */
  failed: boolean;
  /** Phi accrual only: recent inter-arrival times of increases. */
  phi?: PhiSamples;
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
  const phi = options.phi ? new PhiAccrual(resolvePhiOptions(options.phi, tGossipMs)) : undefined;

  /** When `e` must be declared failed, by T_fail or by phi. */
  function failAt(e: Entry): number {
    return phi ? phi.failAt(e.phi, e.lastIncreaseMs, tFailMs) : e.lastIncreaseMs + tFailMs;
  }

  const style = options.style ?? "push";
  if (!DISSEMINATION_STYLES.includes(style)) {
    throw new ConfigError(
      "style",
      `'style' must be one of ${DISSEMINATION_STYLES.join(", ")}: current value is ${style}`,
    );
  }
  const cat = options.catastrophe;
  const reportAfterMs = cat ? checkCatastrophe(cat, tFailMs, tCleanupMs) : tFailMs;
  const decisionIntervalMs = cat?.decisionIntervalMs ?? 1000;
  for (const m of options.members) {
    if (m !== self) {
      entries.set(m, { counter: 0, lastIncreaseMs: startMs, silent: false, failed: false });
    }
  }
  if (entries.size + 1 > MAX_ENTRIES) {
    throw new ConfigError(
      "members",
      `'members' must name at most ${MAX_ENTRIES} members (self included), what one datagram carries: current value names ${
        entries.size + 1
      }`,
    );
  }
  // Closed group: the initial members are the only ones ever admitted, and the only senders read.
  const group = options.closedGroup ? new Set<MemberId>(options.members) : undefined;
  /** Whether a member not held now may be added: a group member, and room left in one datagram. */
  const admits = (id: MemberId) => (group === undefined || group.has(id)) && entries.size + 1 < MAX_ENTRIES;
  const chooseTarget = targetChooser(self, options.members, rng, options.topology);
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
    if (decideBroadcast(rng, nowMs - lastBroadcastHeardMs, cat!)) {
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
        if (!admits(id)) continue;
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
      if (phi && !e.silent) e.phi = phi.record(e.phi, nowMs - e.lastIncreaseMs);
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

  const digestView: DigestView = {
    self,
    get heartbeat() {
      return heartbeat;
    },
    entry: (id) => entries.get(id),
    snapshot: () => snapshot(),
    admits,
  };

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
      if (group !== undefined && !group.has(from)) return EMPTY_STEP;
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
          const ack = answerDigest(digestView, members, counters);
          if (ack) sends.push({ to: from, bytes: ack });
          break;
        }
        case MessageKind.DigestAck: {
          merge(members, counters, 0, message.stateCount, nowMs, events);
          const reply = answerRequests(digestView, members, message.stateCount);
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
