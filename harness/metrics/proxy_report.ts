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
  /** Every member's sent datagrams equal what the proxy received from it. */
  readonly sentReconciles: boolean;
  /** Every member's received datagrams equal what the proxy delivered to it. */
  readonly receivedReconciles: boolean;
  /**
   * The proxy's own books balance: every datagram received was black-holed,
   * partitioned, dropped or accepted, and every accepted copy was delivered,
   * failed, still delayed, or discarded at close.
   */
  readonly balances: boolean;
  /** Members whose counts disagree (up to 10 listed). */
  readonly mismatches: readonly { member: number; field: string; members: number; proxy: number }[];
}

/** Reconciles the proxy's counts with the members' and with themselves. */
export function proxyReport(record: RunRecord): ProxyReport | null {
  const p = record.proxy;
  if (!p) return null;
  const mismatches: { member: number; field: string; members: number; proxy: number }[] = [];
  let sentOk = true;
  let recvOk = true;
  let balances = true;
  for (let m = 0; m < record.members; m++) {
    const fromMember = p.fromMember[m]! + (p.broadcastFrom?.[m] ?? 0);
    if (record.totals.sentDatagrams[m] !== fromMember) {
      sentOk = false;
      mismatches.push({
        member: m,
        field: "sentDatagrams",
        members: record.totals.sentDatagrams[m]!,
        proxy: fromMember,
      });
    }
    if (record.totals.recvDatagrams[m] !== p.toMember[m]) {
      recvOk = false;
      mismatches.push({
        member: m,
        field: "recvDatagrams",
        members: record.totals.recvDatagrams[m]!,
        proxy: p.toMember[m]!,
      });
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
  };
}
