/**
 * The proxy's books: every counter named once, with what it counts. Every
 * datagram received is accounted exactly once (black-holed, to a killed
 * member, partitioned, dropped by a rule, or accepted), and every accepted
 * copy once more (delivered, failed, still delayed, or discarded at close),
 * so the books balance and reconcile with what members report.
 *
 * @module
 */

import type { Fate } from "../faults/impairments/impairment.ts";
import type { Outcome } from "../faults/judge.ts";
import type { RuleReport } from "../faults/state.ts";

/** Per-member counters, by member index: name → what it counts. */
export const MEMBER_COUNTERS = {
  fromMember: "datagrams received from member i (i.e. sent by i)",
  fromMemberBytes: "payload bytes received from member i",
  toMember: "datagram copies delivered to member j's socket, by j",
  toMemberBytes: "payload bytes delivered to member j",
  lostFrom: "datagrams from member i dropped by an impairment rule",
  blackholedFrom: "datagrams from member i dropped because an end was black-holed",
  partitionedFrom: "datagrams from member i dropped by a partition cut",
  deadFrom: "datagrams from member i addressed to a killed member (its socket is gone)",
  acceptedFrom: "datagrams from member i accepted for delivery",
  duplicatedFrom: "extra copies (duplicates) made of member i's datagrams",
  sendErrorsFrom: "copies of member i's datagrams whose relay send failed",
  crossSubnetBytesFrom: "payload bytes from member i addressed to a member in another subnet of its domain",
  crossDomainBytesFrom: "payload bytes from member i addressed to a member in another domain",
  broadcastFrom: "datagrams member i sent to the broadcast address (each counted once)",
  broadcastBytesFrom: "their payload bytes",
  fannedOutFrom:
    "copies made of member i's broadcasts, one per other member of its subnet, each judged like a datagram",
} as const;
/** One of {@linkcode MEMBER_COUNTERS}' names. */
export type MemberCounter = keyof typeof MEMBER_COUNTERS;

/** Per-link counters, row-major `[from * n + to]`: name → what it counts. */
export const LINK_COUNTERS = {
  passed: "copies delivered to the receiver's socket",
  dropped: "dropped by an impairment rule",
  blackholed: "dropped because an end was black-holed",
  partitioned: "dropped by a partition cut",
  delayed: "accepted with added delay",
  duplicated: "extra copies made",
  corrupted: "accepted with bit flips",
  reordered: "sent ahead of the delay queue",
} as const;
/** One of {@linkcode LINK_COUNTERS}' names. */
export type LinkCounter = keyof typeof LINK_COUNTERS;

/** Per-link counts. */
export type LinkCounters = { readonly [K in LinkCounter]: number[] };

/** What the proxy did, per member, per rule and per link. */
export type ProxyCounters = { readonly [K in MemberCounter]: number[] } & {
  /** Copies in the delay queue when counted (not yet delivered). */
  readonly delayedPending: number;
  /** Copies discarded from the delay queue when the proxy closed. */
  readonly discarded: number;
  /** Datagrams from addresses that are no member's private port (dropped). */
  readonly unknownSource: number;
  /** Datagrams the kernel dropped at each member's public port (the proxy's socket), or null when not measured. */
  readonly kernelDrops: number[] | null;
  /** Per rule: removed ones first (`active: false`), then the chain in order. */
  readonly rules: readonly RuleReport[];
  /** Per link, or null above the per-link limit. */
  readonly links: LinkCounters | null;
  /** The TCP relay's books, or null (absent in older journals) when TCP is not relayed. */
  readonly tcp?: TcpCounters | null;
};

const OUTCOME_COUNTER: Record<Exclude<Outcome, "accepted">, MemberCounter> = {
  blackholed: "blackholedFrom",
  dead: "deadFrom",
  partitioned: "partitionedFrom",
  lost: "lostFrom",
};
const OUTCOME_LINK: Partial<Record<Outcome, LinkCounter>> = {
  blackholed: "blackholed",
  partitioned: "partitioned",
  lost: "dropped",
};

/** The running books of one proxy (or simulated network) of `n` members. */
export class ProxyBooks {
  /** Per-member counters. */
  readonly member: { readonly [K in MemberCounter]: Float64Array };
  /** Per-link counters, or null. */
  readonly link: { readonly [K in LinkCounter]: Uint32Array } | null;
  /** See {@linkcode ProxyCounters}. */
  discarded = 0;
  /** See {@linkcode ProxyCounters}. */
  unknownSource = 0;
  readonly #n: number;

  /** Books for `n` members; per-link counters only up to `perLinkUpTo` members (they take n² space). */
  constructor(n: number, perLinkUpTo: number) {
    this.#n = n;
    this.member = Object.fromEntries(
      Object.keys(MEMBER_COUNTERS).map((k) => [k, new Float64Array(n)]),
    ) as unknown as ProxyBooks["member"];
    this.link = n <= perLinkUpTo
      ? Object.fromEntries(
        Object.keys(LINK_COUNTERS).map((k) => [k, new Uint32Array(n * n)]),
      ) as unknown as NonNullable<
        ProxyBooks["link"]
      >
      : null;
  }

  /** Counts a datagram member `from` sent to member `to`'s public address, and the level it crosses. */
  received(from: number, to: number, bytes: number, subnet: ArrayLike<number>, domain: ArrayLike<number>): void {
    const m = this.member;
    m.fromMember[from]!++;
    m.fromMemberBytes[from]! += bytes;
    if (subnet[from] !== subnet[to]) {
      if (domain[from] === domain[to]) m.crossSubnetBytesFrom[from]! += bytes;
      else m.crossDomainBytesFrom[from]! += bytes;
    }
  }

  /** Counts a datagram member `from` sent to the broadcast address. */
  broadcast(from: number, bytes: number): void {
    this.member.broadcastFrom[from]!++;
    this.member.broadcastBytesFrom[from]! += bytes;
  }

  /** Counts an accepted datagram from → to with its fate; returns the delay to deliver it after (0: at once). */
  accepted(from: number, to: number, fate: Fate): number {
    const m = this.member;
    const links = this.link;
    const link = from * this.#n + to;
    m.acceptedFrom[from]!++;
    if (fate.copies > 1) {
      m.duplicatedFrom[from]! += fate.copies - 1;
      if (links) links.duplicated[link]! += fate.copies - 1;
    }
    if (links && fate.flipBits.length > 0) links.corrupted[link]!++;
    if (links && fate.immediate) links.reordered[link]!++;
    const delay = fate.immediate ? 0 : fate.delayMs;
    if (links && delay > 0) links.delayed[link]!++;
    return delay;
  }

  /** Counts a judged datagram from → to that was not accepted. */
  dropped(outcome: Exclude<Outcome, "accepted">, from: number, to: number): void {
    this.member[OUTCOME_COUNTER[outcome]][from]!++;
    const field = OUTCOME_LINK[outcome];
    if (this.link && field) this.link[field][from * this.#n + to]!++;
  }

  /** Counts a copy delivered to `to`'s socket. */
  delivered(from: number, to: number, bytes: number): void {
    this.member.toMember[to]!++;
    this.member.toMemberBytes[to]! += bytes;
    if (this.link) this.link.passed[from * this.#n + to]!++;
  }

  /** Moves a copy counted {@linkcode delivered} to `sendErrorsFrom`: the kernel refused it after all. */
  refused(from: number, to: number, bytes: number): void {
    this.member.toMember[to]!--;
    this.member.toMemberBytes[to]! -= bytes;
    if (this.link) this.link.passed[from * this.#n + to]!--;
    this.member.sendErrorsFrom[from]!++;
  }

  /** A snapshot (plain arrays); per-link arrays only when asked for. */
  snapshot(
    extra: { delayedPending: number; rules: readonly RuleReport[]; kernelDrops: number[] | null },
    links: boolean,
  ): ProxyCounters {
    return {
      ...Object.fromEntries(Object.entries(this.member).map(([k, v]) => [k, Array.from(v)])) as {
        [K in MemberCounter]: number[];
      },
      delayedPending: extra.delayedPending,
      discarded: this.discarded,
      unknownSource: this.unknownSource,
      kernelDrops: extra.kernelDrops,
      rules: extra.rules,
      links: this.link && links
        ? Object.fromEntries(Object.entries(this.link).map(([k, v]) => [k, Array.from(v)])) as unknown as LinkCounters
        : null,
    };
  }
}

/** Per-member counters of the TCP relay, by member index: name → what it counts. */
export const TCP_MEMBER_COUNTERS = {
  opened: "connections member i opened through the relay (its process identified as the initiator)",
  accepted: "connections the relay accepted on member j's public port, by j",
  sentBytes: "stream bytes the relay read from member i's end of a connection",
  relayedBytes: "of those, bytes written to the other end",
  droppedBytes:
    "of those, bytes withheld: an end black-holed, the receiver killed, a partition cut, or the write failed",
  receivedBytes: "stream bytes the relay wrote to member j's end of a connection, by j",
} as const;
/** One of {@linkcode TCP_MEMBER_COUNTERS}' names. */
export type TcpMemberCounter = keyof typeof TCP_MEMBER_COUNTERS;

/** Bytes of one direction of one connection: what came in is relayed, dropped, or still in flight. */
export interface StreamLedger {
  /** Bytes read from the sending end. */
  in: number;
  /** Bytes written to the receiving end. */
  relayed: number;
  /** Bytes withheld (a fault) or lost to a failed write. */
  dropped: number;
}

/** What the TCP relay did, per member and in total. */
export interface TcpCounters {
  /** Per-member counters. */
  readonly member: { readonly [K in TcpMemberCounter]: number[] };
  /** Connections accepted, all told. */
  readonly connections: number;
  /** Connections still open when counted. */
  readonly open: number;
  /** Accepted while the link to the target was faulted: never connected to it, nothing relayed. */
  readonly parked: number;
  /** The target's port refused the connection (its process gone): the initiator's connection was closed. */
  readonly refused: number;
  /** Connections whose initiator was not identified (its bytes are counted apart, below). */
  readonly unidentified: number;
  /** Bytes of unidentified initiators: sent by them, relayed or dropped of those, and received by them. */
  readonly unidentifiedBytes: {
    readonly sent: number;
    readonly relayed: number;
    readonly dropped: number;
    readonly received: number;
  };
  /** Ends of stream (FIN) withheld because their direction was faulted. */
  readonly finsWithheld: number;
  /** Bytes read and not yet written (open connections). */
  readonly inFlightBytes: number;
  /** Closed connections whose bytes do not balance (in ≠ relayed + dropped, either direction): 0 when right. */
  readonly unbalanced: number;
}

/** The running books of a TCP relay for `n` members. */
export class TcpBooks {
  /** Per-member counters. */
  readonly member: { readonly [K in TcpMemberCounter]: Float64Array };
  /** See {@linkcode TcpCounters}. */
  connections = 0;
  /** See {@linkcode TcpCounters}. */
  parked = 0;
  /** See {@linkcode TcpCounters}. */
  refused = 0;
  /** See {@linkcode TcpCounters}. */
  unidentified = 0;
  /** See {@linkcode TcpCounters}. */
  finsWithheld = 0;
  /** See {@linkcode TcpCounters}. */
  unbalanced = 0;
  readonly #unknown = { sent: 0, relayed: 0, dropped: 0, received: 0 };
  readonly #open = new Set<readonly [StreamLedger, StreamLedger]>();

  /** Books for `n` members. */
  constructor(n: number) {
    this.member = Object.fromEntries(
      Object.keys(TCP_MEMBER_COUNTERS).map((k) => [k, new Float64Array(n)]),
    ) as unknown as TcpBooks["member"];
  }

  /** Counts a connection accepted for `to`, opened by `from` (-1: not identified); returns its two ledgers. */
  open(from: number, to: number): readonly [StreamLedger, StreamLedger] {
    this.connections++;
    this.member.accepted[to]!++;
    if (from >= 0) this.member.opened[from]!++;
    else this.unidentified++;
    const ledgers = [{ in: 0, relayed: 0, dropped: 0 }, { in: 0, relayed: 0, dropped: 0 }] as const;
    this.#open.add(ledgers);
    return ledgers;
  }

  /** Counts `bytes` read from `from`'s end into `ledger`. */
  read(ledger: StreamLedger, from: number, bytes: number): void {
    ledger.in += bytes;
    if (from >= 0) this.member.sentBytes[from]! += bytes;
    else this.#unknown.sent += bytes;
  }

  /** Counts `bytes` of `from`'s written to `to`'s end. */
  relayed(ledger: StreamLedger, from: number, to: number, bytes: number): void {
    ledger.relayed += bytes;
    if (from >= 0) this.member.relayedBytes[from]! += bytes;
    else this.#unknown.relayed += bytes;
    if (to >= 0) this.member.receivedBytes[to]! += bytes;
    else this.#unknown.received += bytes;
  }

  /** Counts `bytes` of `from`'s withheld. */
  dropped(ledger: StreamLedger, from: number, bytes: number): void {
    ledger.dropped += bytes;
    if (from >= 0) this.member.droppedBytes[from]! += bytes;
    else this.#unknown.dropped += bytes;
  }

  /** Closes a connection's books: both directions must balance. */
  close(ledgers: readonly [StreamLedger, StreamLedger]): void {
    if (!this.#open.delete(ledgers)) return;
    if (ledgers.some((l) => l.in !== l.relayed + l.dropped)) this.unbalanced++;
  }

  /** A snapshot (plain arrays). */
  snapshot(): TcpCounters {
    let inFlight = 0;
    for (const pair of this.#open) for (const l of pair) inFlight += l.in - l.relayed - l.dropped;
    return {
      member: Object.fromEntries(Object.entries(this.member).map(([k, v]) => [k, Array.from(v)])) as {
        [K in TcpMemberCounter]: number[];
      },
      connections: this.connections,
      open: this.#open.size,
      parked: this.parked,
      refused: this.refused,
      unidentified: this.unidentified,
      unidentifiedBytes: { ...this.#unknown },
      finsWithheld: this.finsWithheld,
      inFlightBytes: inFlight,
      unbalanced: this.unbalanced,
    };
  }
}
