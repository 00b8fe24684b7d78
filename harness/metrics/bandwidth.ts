/**
 * Bandwidth (metrics.md "Bandwidth"): what members' sockets sent and
 * received per nominal second, against the budget B, over the whole run and
 * over the busiest window.
 *
 * Members whose own counts are not measured (real programs) are measured at
 * the proxy instead: what it received from each member's private port
 * (`source: "proxy"`). The proxy's TCP relay, when on, adds the stream
 * bytes per member (`tcp`).
 *
 * @module
 */

import { HEADER_BYTES } from "../../lib/core/wire.ts";
import { quantile } from "../../lib/core/stats.ts";
import { mean } from "./_sums.ts";
import type { BandwidthSample, BudgetAccounting, RunRecord } from "./record.ts";

/** IPv4 (20 bytes) + UDP (8 bytes) headers per datagram. */
export const IPV4_UDP_HEADER_BYTES = 28;

/** TCP stream bytes per member per nominal second, as the proxy's relay counted them. */
export interface TcpBandwidth {
  /** Bytes each member wrote into relayed connections, mean over members. */
  readonly meanSentBytesPerSec: number;
  /** The highest member's. */
  readonly maxSentBytesPerSec: number;
  /** Bytes relayed to each member, mean over members. */
  readonly meanRecvBytesPerSec: number;
  /** Connections opened per member per minute, mean (initiators identified). */
  readonly connectionsPerMemberMinute: number;
  /** UDP payload plus TCP bytes sent, mean over members. */
  readonly meanTotalSentBytesPerSec: number;
  /** Every member's TCP send rate, by member index. */
  readonly perMemberSentBytesPerSec: readonly number[];
}

/** Bandwidth (metrics.md "Bandwidth"), per nominal second. */
export interface Bandwidth {
  /** Where the UDP figures come from: the members' own socket counts, or the proxy's when those are not measured. */
  readonly source: "members" | "proxy";
  /** The budget B the run was configured with. */
  readonly budgetBytesPerSec: number;
  /** UDP payload handed to the socket, mean over members. */
  readonly meanBytesPerSec: number;
  /** Highest member's payload rate over the whole run. */
  readonly maxBytesPerSec: number;
  /** Lowest member's payload rate over the whole run. */
  readonly minBytesPerSec: number;
  /** Median member's payload rate. */
  readonly p50BytesPerSec: number;
  /** Entry bytes only (payload minus the 8-byte message header): the paper's 8n accounting (null: not our wire format). */
  readonly meanEntryBytesPerSec: number | null;
  /** With 28 bytes of IPv4/UDP header per datagram. */
  readonly meanWireBytesPerSec: number;
  /** Highest member's rate with IPv4/UDP headers. */
  readonly maxWireBytesPerSec: number;
  /** Which bytes the budget verdict counts (the scenario's `budgetAccounting`; the paper's is `entries`). */
  readonly accounting: BudgetAccounting;
  /** The mean and max rates and their budget ratios under every accounting, the verdict's first. */
  readonly byAccounting: { readonly [A in BudgetAccounting]: AccountedRate };
  /** Mean / budget under `accounting`. */
  readonly meanBudgetRatio: number;
  /** Max member / budget under `accounting`. */
  readonly maxBudgetRatio: number;
  /** Window over which the per-member peak is taken (nominal ms). */
  readonly windowMs: number;
  /** Highest rate of any member over any window of windowMs, under `accounting`. */
  readonly maxWindowBytesPerSec: number | null;
  /**
   * The rate a member may reach before it counts as over budget: B plus one
   * period's worth over the run (a member's gossip phase can fit one more
   * period into a finite run than the mean).
   */
  readonly allowedBytesPerSec: number;
  /** Whether any member's whole-run or windowed rate exceeded the allowed rate, under `accounting`. */
  readonly exceeded: boolean;
  /** Members whose whole-run rate exceeded the budget, under `accounting`. */
  readonly membersOverBudget: number;
  /** Received payload bytes per member per second, mean. */
  readonly meanRecvBytesPerSec: number;
  /** Received payload bytes per second of the busiest receiver. */
  readonly maxRecvBytesPerSec: number;
  /** Datagrams sent per member per second, mean. */
  readonly meanDatagramsPerSec: number;
  /** Every member's payload rate, by member index (for plots and distributions). */
  readonly perMemberBytesPerSec: readonly number[];
  /** TCP through the proxy's relay, or null when it relayed no TCP. */
  readonly tcp?: TcpBandwidth | null;
}

/** Sent and received bytes and datagrams per member: the members' counts, else the proxy's, else zeros. */
function udpCounts(record: RunRecord): {
  source: Bandwidth["source"];
  sentBytes: readonly number[];
  sentDatagrams: readonly number[];
  recvBytes: readonly number[];
} {
  const t = record.totals;
  const p = record.proxy;
  if (t.sentBytes && t.sentDatagrams && t.recvBytes) {
    return { source: "members", sentBytes: t.sentBytes, sentDatagrams: t.sentDatagrams, recvBytes: t.recvBytes };
  }
  const zero = new Array<number>(record.members).fill(0);
  if (!p) return { source: "proxy", sentBytes: zero, sentDatagrams: zero, recvBytes: zero };
  // Counted from the clock's start: what members said while finding each other is not the run's.
  const b = record.proxyAtStart;
  const since = (now: readonly number[] | undefined, then: readonly number[] | undefined) =>
    zero.map((_, i) => (now?.[i] ?? 0) - (then?.[i] ?? 0));
  const plus = (x: readonly number[], y: readonly number[]) => x.map((v, i) => v + y[i]!);
  return {
    source: "proxy",
    sentBytes: plus(since(p.fromMemberBytes, b?.fromMemberBytes), since(p.broadcastBytesFrom, b?.broadcastBytesFrom)),
    sentDatagrams: plus(since(p.fromMember, b?.fromMember), since(p.broadcastFrom, b?.broadcastFrom)),
    recvBytes: since(p.toMemberBytes, b?.toMemberBytes),
  };
}

/** TCP bytes per member from the proxy's relay, or null. */
export function tcpBandwidth(record: RunRecord, udpSentRates: readonly number[]): TcpBandwidth | null {
  const tcp = record.proxy?.tcp;
  if (!tcp) return null;
  const seconds = record.durationMs / 1000;
  // From the clock's start (see udpCounts).
  const base = record.proxyAtStart?.tcp?.member;
  const since = (k: "sentBytes" | "receivedBytes" | "opened") => tcp.member[k].map((v, i) => v - (base?.[k][i] ?? 0));
  const sent = since("sentBytes").map((b) => b / seconds);
  return {
    meanSentBytesPerSec: mean(sent),
    maxSentBytesPerSec: Math.max(0, ...sent),
    meanRecvBytesPerSec: mean(since("receivedBytes").map((b) => b / seconds)),
    connectionsPerMemberMinute: mean(since("opened")) / (seconds / 60),
    meanTotalSentBytesPerSec: mean(sent.map((r, i) => r + (udpSentRates[i] ?? 0))),
    perMemberSentBytesPerSec: sent,
  };
}

/** One accounting's rates against the budget. */
export interface AccountedRate {
  /** Mean over members (bytes per nominal second). */
  readonly meanBytesPerSec: number;
  /** The highest member's. */
  readonly maxBytesPerSec: number;
  /** mean / budget. */
  readonly meanBudgetRatio: number;
  /** Members whose whole-run rate exceeded the allowed rate. */
  readonly membersOverBudget: number;
}

/** The bytes an accounting counts, from payload bytes and datagrams. */
function accounted(accounting: BudgetAccounting, bytes: number, datagrams: number): number {
  switch (accounting) {
    case "entries":
      return bytes - HEADER_BYTES * datagrams;
    case "payload":
      return bytes;
    case "wire":
      return bytes + IPV4_UDP_HEADER_BYTES * datagrams;
  }
}

const ACCOUNTINGS: readonly BudgetAccounting[] = ["entries", "payload", "wire"];

/** Computes bandwidth from the sockets' byte counts. */
export function bandwidth(record: RunRecord): Bandwidth {
  const seconds = record.durationMs / 1000;
  const t = udpCounts(record);
  const rates = t.sentBytes.map((b) => b / seconds);
  const wire = t.sentBytes.map((b, i) => (b + IPV4_UDP_HEADER_BYTES * t.sentDatagrams[i]!) / seconds);
  const recv = t.recvBytes.map((b) => b / seconds);
  const budget = record.budgetBytesPerSec;
  // A member's phase can fit one more period into a finite run than the mean: that much over B is not over budget.
  const allowed = budget * (1 + record.periodMs / Math.max(record.durationMs, record.periodMs));
  const accounting = record.budgetAccounting;
  const rateOf = (a: BudgetAccounting) => t.sentBytes.map((b, i) => accounted(a, b, t.sentDatagrams[i]!) / seconds);
  const byAccounting = Object.fromEntries(ACCOUNTINGS.map((a) => {
    const xs = rateOf(a);
    return [a, {
      meanBytesPerSec: mean(xs),
      maxBytesPerSec: Math.max(0, ...xs),
      meanBudgetRatio: mean(xs) / budget,
      membersOverBudget: xs.filter((r) => r > allowed).length,
    }];
  })) as Bandwidth["byAccounting"];
  const verdict = byAccounting[accounting];
  const windowMs = Math.max(10 * record.periodMs, 10_000);
  const windowRates = record.samples.map((series) => maxWindowRate(series, windowMs, accounting))
    .filter((r) => r !== null);
  const maxWindow = windowRates.length > 0 ? Math.max(...windowRates) : null;
  return {
    source: t.source,
    budgetBytesPerSec: budget,
    meanBytesPerSec: mean(rates),
    maxBytesPerSec: Math.max(0, ...rates),
    minBytesPerSec: rates.length ? Math.min(...rates) : 0,
    p50BytesPerSec: quantile(rates, 0.5) ?? 0,
    meanEntryBytesPerSec: t.source === "proxy" ? null : byAccounting.entries.meanBytesPerSec,
    meanWireBytesPerSec: mean(wire),
    maxWireBytesPerSec: Math.max(0, ...wire),
    accounting,
    byAccounting,
    meanBudgetRatio: verdict.meanBudgetRatio,
    maxBudgetRatio: verdict.maxBytesPerSec / budget,
    windowMs,
    maxWindowBytesPerSec: maxWindow,
    allowedBytesPerSec: allowed,
    exceeded: verdict.membersOverBudget > 0 || (maxWindow !== null && maxWindow > allowed),
    membersOverBudget: verdict.membersOverBudget,
    meanRecvBytesPerSec: mean(recv),
    maxRecvBytesPerSec: Math.max(0, ...recv),
    meanDatagramsPerSec: mean(t.sentDatagrams.map((d) => d / seconds)),
    perMemberBytesPerSec: rates,
    tcp: tcpBandwidth(record, rates),
  };
}

/**
 * Highest per-member rate (under `accounting`, payload by default) over any
 * span of at least `windowMs` between two samples (null when the run is
 * shorter than the window).
 */
export function maxWindowRate(
  samples: readonly BandwidthSample[],
  windowMs: number,
  accounting: BudgetAccounting = "payload",
): number | null {
  let best: number | null = null;
  let i = 0;
  for (let j = 0; j < samples.length; j++) {
    while (i + 1 < j && samples[j]!.atMs - samples[i + 1]!.atMs >= windowMs) {
      i++;
    }
    const span = samples[j]!.atMs - samples[i]!.atMs;
    if (span < windowMs) continue;
    const a = samples[i]!;
    const b = samples[j]!;
    for (let m = 0; m < b.sentBytes.length; m++) {
      const bytes = b.sentBytes[m]! - (a.sentBytes[m] ?? 0);
      const datagrams = (b.sentDatagrams?.[m] ?? 0) - (a.sentDatagrams?.[m] ?? 0);
      const rate = (accounted(accounting, bytes, datagrams) / span) * 1000;
      if (best === null || rate > best) best = rate;
    }
  }
  return best;
}
