/**
 * Proxy reconciliation: the proxy's counts checked against the members'
 * socket counts and against themselves.
 *
 * @module
 */

import type { ProxyCounters } from "../proxy/books.ts";
import { sum } from "./_sums.ts";
import type { RunRecord } from "./record.ts";

/** Proxy reconciliation: the proxy's counts against the members'. */
export interface ProxyReport {
  /** Copies delivered to member sockets. */
  readonly relayed: number;
  /** Dropped by impairment rules. */
  readonly lost: number;
  /** Dropped because an end was black-holed (crash by proxy). */
  readonly blackholed: number;
  /** Dropped by partition cuts. */
  readonly partitioned: number;
  /** Addressed to a killed member. */
  readonly toDead: number;
  /** Extra copies made by duplication. */
  readonly duplicated: number;
  /** Relay sends that failed. */
  readonly sendErrors: number;
  /** Copies still in the delay queue when counted. */
  readonly delayedPending: number;
  /** Copies discarded from the delay queue (or in flight) when the proxy closed. */
  readonly discarded: number;
  /** Datagrams from addresses that are no member's (dropped). */
  readonly unknownSource: number;
  /** Fraction of datagrams that met the rules and were dropped by them. */
  readonly measuredLoss: number;
  /** Per rule: what it did. */
  readonly rules: ProxyCounters["rules"];
  /** Every member's sent datagrams equal what the proxy received from it (null: members' counts not measured). */
  readonly sentReconciles: boolean | null;
  /** Every member's received datagrams equal what the proxy delivered to it (null: not measured). */
  readonly receivedReconciles: boolean | null;
  /**
   * The proxy's own books balance: every datagram received was black-holed,
   * partitioned, dropped or accepted, and every accepted copy was delivered,
   * failed, still delayed, or discarded at close.
   */
  readonly balances: boolean;
  /** Members whose counts disagree (up to 10 listed). */
  readonly mismatches: readonly { member: number; field: string; members: number; proxy: number }[];
  /** The TCP relay's books, or null when it relayed no TCP. */
  readonly tcp?: TcpReport | null;
}

/** The TCP relay's books, summed. */
export interface TcpReport {
  /** Connections accepted. */
  readonly connections: number;
  /** Accepted while faulted: never connected to the target. */
  readonly parked: number;
  /** Refused by a target whose port was closed. */
  readonly refused: number;
  /** Connections whose initiator was not identified. */
  readonly unidentified: number;
  /** Stream bytes read from members' ends. */
  readonly bytesIn: number;
  /** Of those, relayed. */
  readonly relayedBytes: number;
  /** Of those, withheld by a fault or lost to a failed write. */
  readonly droppedBytes: number;
  /** Ends of stream withheld by a fault. */
  readonly finsWithheld: number;
  /** Every connection's bytes balance (in = relayed + dropped, in flight while open). */
  readonly balances: boolean;
}

function tcpReport(p: ProxyCounters): TcpReport | null {
  const t = p.tcp;
  if (!t) return null;
  const u = t.unidentifiedBytes;
  const bytesIn = sum(t.member.sentBytes) + u.sent;
  const relayed = sum(t.member.relayedBytes) + u.relayed;
  const dropped = sum(t.member.droppedBytes) + u.dropped;
  return {
    connections: t.connections,
    parked: t.parked,
    refused: t.refused,
    unidentified: t.unidentified,
    bytesIn,
    relayedBytes: relayed,
    droppedBytes: dropped,
    finsWithheld: t.finsWithheld,
    balances: t.unbalanced === 0 && bytesIn === relayed + dropped + t.inFlightBytes &&
      sum(t.member.receivedBytes) + u.received === relayed,
  };
}

/** Reconciles the proxy's counts with the members' and with themselves. */
export function proxyReport(record: RunRecord): ProxyReport | null {
  const p = record.proxy;
  if (!p) return null;
  const mismatches: { member: number; field: string; members: number; proxy: number }[] = [];
  const sent = record.totals.sentDatagrams;
  const received = record.totals.recvDatagrams;
  let sentOk: boolean | null = sent === null ? null : true;
  let recvOk: boolean | null = received === null ? null : true;
  let balances = true;
  for (let m = 0; m < record.members; m++) {
    const fromMember = p.fromMember[m]! + (p.broadcastFrom?.[m] ?? 0);
    if (sent && sent[m] !== fromMember) {
      sentOk = false;
      mismatches.push({ member: m, field: "sentDatagrams", members: sent[m]!, proxy: fromMember });
    }
    if (received && received[m] !== p.toMember[m]) {
      recvOk = false;
      mismatches.push({ member: m, field: "recvDatagrams", members: received[m]!, proxy: p.toMember[m]! });
    }
    const judged = p.lostFrom[m]! + p.blackholedFrom[m]! + p.deadFrom[m]! + p.partitionedFrom[m]! +
      p.acceptedFrom[m]!;
    // A broadcast is one datagram from the member and one judged copy per other subnet member.
    if (judged !== p.fromMember[m]! + (p.fannedOutFrom?.[m] ?? 0)) balances = false;
  }
  const copies = sum(p.acceptedFrom) + sum(p.duplicatedFrom);
  if (copies !== sum(p.toMember) + sum(p.sendErrorsFrom) + p.delayedPending + p.discarded) balances = false;
  const relayed = sum(p.toMember);
  const lost = sum(p.lostFrom);
  return {
    relayed,
    lost,
    blackholed: sum(p.blackholedFrom),
    partitioned: sum(p.partitionedFrom),
    toDead: sum(p.deadFrom),
    duplicated: sum(p.duplicatedFrom),
    sendErrors: sum(p.sendErrorsFrom),
    delayedPending: p.delayedPending,
    discarded: p.discarded,
    unknownSource: p.unknownSource,
    measuredLoss: lost + sum(p.acceptedFrom) > 0 ? lost / (lost + sum(p.acceptedFrom)) : 0,
    rules: p.rules,
    sentReconciles: sentOk,
    receivedReconciles: recvOk,
    balances,
    mismatches: mismatches.slice(0, 10),
    tcp: tcpReport(p),
  };
}
