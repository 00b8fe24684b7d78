/**
 * Figures of topologies and catastrophe recovery, from the proxy's counts:
 * bytes by the level of the topology they cross (METRICS.md "Per-level
 * bandwidth") and broadcasts (METRICS.md "Broadcasts").
 *
 * @module
 */

import { mean, sum } from "./_sums.ts";
import type { RunRecord } from "./record.ts";

/** Bytes by the level of the topology they cross (METRICS.md "Per-level bandwidth"). */
export interface LevelBandwidth {
  /** Subnets and domains of the run. */
  readonly subnets: number;
  /** Domains. */
  readonly domains: number;
  /** Unicast payload per member per nominal second that stayed inside the sender's subnet. */
  readonly withinSubnetBytesPerSec: number;
  /** ... that went to another subnet of the sender's domain. */
  readonly crossSubnetBytesPerSec: number;
  /** ... that went to another domain. */
  readonly crossDomainBytesPerSec: number;
  /** Per subnet: unicast payload per second leaving it for any other subnet (a router's load). */
  readonly subnetOutBytesPerSec: { readonly mean: number; readonly max: number };
  /** Per domain: unicast payload per second leaving it for another domain. */
  readonly domainOutBytesPerSec: { readonly mean: number; readonly max: number };
}

/** Per-level bandwidth from the proxy's counts (what members actually sent, classified by destination). */
export function levelBandwidth(
  record: RunRecord,
  levels: { readonly subnet: readonly number[]; readonly domain: readonly number[] },
): LevelBandwidth | null {
  const p = record.proxy;
  if (!p || !p.crossSubnetBytesFrom || !p.crossDomainBytesFrom) return null;
  const seconds = record.durationMs / 1000;
  const n = record.members;
  const subnets = new Map<number, number>();
  const domains = new Map<number, number>();
  let within = 0;
  let crossSubnet = 0;
  let crossDomain = 0;
  for (let i = 0; i < n; i++) {
    const cs = p.crossSubnetBytesFrom[i]!;
    const cd = p.crossDomainBytesFrom[i]!;
    within += p.fromMemberBytes[i]! - cs - cd;
    crossSubnet += cs;
    crossDomain += cd;
    subnets.set(levels.subnet[i]!, (subnets.get(levels.subnet[i]!) ?? 0) + cs + cd);
    domains.set(levels.domain[i]!, (domains.get(levels.domain[i]!) ?? 0) + cd);
  }
  const stat = (m: Map<number, number>) => {
    const xs = [...m.values()].map((b) => b / seconds);
    return { mean: mean(xs), max: Math.max(0, ...xs) };
  };
  return {
    subnets: subnets.size,
    domains: domains.size,
    withinSubnetBytesPerSec: within / n / seconds,
    crossSubnetBytesPerSec: crossSubnet / n / seconds,
    crossDomainBytesPerSec: crossDomain / n / seconds,
    subnetOutBytesPerSec: stat(subnets),
    domainOutBytesPerSec: stat(domains),
  };
}

/** Catastrophe-recovery broadcasts as the proxy saw them (METRICS.md "Broadcasts"). */
export interface BroadcastReport {
  /** Broadcast datagrams members sent. */
  readonly broadcasts: number;
  /** Copies the proxy fanned them out to (before loss, partitions and black holes). */
  readonly copies: number;
  /** Nominal seconds of run per broadcast, per subnet (the group's mean interval when there is one subnet). */
  readonly meanIntervalSeconds: number | null;
  /** Broadcast payload per member per nominal second (sent, not fanned out). */
  readonly bytesPerSec: number;
}

/** Counts broadcasts from the proxy's counters. */
export function broadcastReport(record: RunRecord, subnets: number): BroadcastReport | null {
  const p = record.proxy;
  if (!p || !p.broadcastFrom) return null;
  const broadcasts = sum(p.broadcastFrom);
  const seconds = record.durationMs / 1000;
  return {
    broadcasts,
    copies: sum(p.fannedOutFrom ?? []),
    meanIntervalSeconds: broadcasts > 0 ? (seconds * subnets) / broadcasts : null,
    bytesPerSec: sum(p.broadcastBytesFrom ?? []) / record.members / seconds,
  };
}
