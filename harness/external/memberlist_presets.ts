/**
 * memberlist 0.2.2's timing presets (`Default{LAN,Local,WAN}Config` in
 * `config.go`; Serf's `-profile` picks the same ones) and what the memberlist
 * and Serf kinds say about a set of timings: the suspicion timeout, a
 * description, the model. Pure.
 *
 * Lifeguard in 0.2.2 has three parts: the local-health multiplier
 * (`AwarenessMaxMultiplier` > 1), the shrinking suspicion timeout
 * (`SuspicionMaxTimeoutMult` > 1), and the buddy system (a suspect message
 * sent along with the ping to a member we suspect), which has no switch: it
 * is always on.
 *
 * @module
 */

import { swimExpectedDetectionPeriods } from "../../lib/model/swim.ts";
import { lifeguardConfirmationsNeeded, swimSuspicionTimeoutMs } from "../../lib/swim/suspicion.ts";

/** The presets' names (memberlist's base configurations, Serf's `-profile`). */
export const MEMBERLIST_PRESETS = ["lan", "local", "wan"] as const;
/** One of {@linkcode MEMBERLIST_PRESETS}. */
export type Preset = typeof MEMBERLIST_PRESETS[number];

/** The timing fields of `memberlist.Config` a preset sets (durations in ms). */
export interface MemberlistTimings {
  /** ProbeInterval: one probe per interval. */
  readonly probeIntervalMs: number;
  /** ProbeTimeout: wait for a direct ack. */
  readonly probeTimeoutMs: number;
  /** IndirectChecks: members asked to probe on our behalf. */
  readonly indirectChecks: number;
  /** SuspicionMult: suspicion timeout = mult · max(1, log10 n) · ProbeInterval. */
  readonly suspicionMult: number;
  /** SuspicionMaxTimeoutMult: the timeout starts at this many times the minimum (1: Lifeguard's part off). */
  readonly suspicionMaxTimeoutMult: number;
  /** AwarenessMaxMultiplier: local health stretches the probe interval up to this (1: Lifeguard's part off). */
  readonly awarenessMaxMultiplier: number;
  /** GossipInterval: the separate gossip's period. */
  readonly gossipIntervalMs: number;
  /** GossipNodes: members gossiped to per round. */
  readonly gossipNodes: number;
  /** GossipToTheDeadTime: a dead member still gets gossip this long. */
  readonly gossipToTheDeadTimeMs: number;
  /** PushPullInterval: full state sync over TCP (scaled up above 32 members). */
  readonly pushPullIntervalMs: number;
  /** TCPTimeout: stream connect/read/write timeout. */
  readonly tcpTimeoutMs: number;
  /** RetransmitMult: broadcasts are retransmitted mult · ceil(log10(n + 1)) times. */
  readonly retransmitMult: number;
  /** DisableTcpPings: no TCP fallback ping when UDP probes fail. */
  readonly disableTcpPings: boolean;
}

const LAN: MemberlistTimings = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  awarenessMaxMultiplier: 8,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadTimeMs: 30_000,
  pushPullIntervalMs: 30_000,
  tcpTimeoutMs: 10_000,
  retransmitMult: 4,
  disableTcpPings: false,
};

/** Each preset's timings, as memberlist 0.2.2 defines them. */
export const PRESET_TIMINGS: Readonly<Record<Preset, MemberlistTimings>> = {
  lan: LAN,
  local: {
    ...LAN,
    tcpTimeoutMs: 1000,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullIntervalMs: 15_000,
    probeTimeoutMs: 200,
    gossipIntervalMs: 100,
    gossipToTheDeadTimeMs: 15_000,
  },
  wan: {
    ...LAN,
    tcpTimeoutMs: 30_000,
    suspicionMult: 6,
    pushPullIntervalMs: 60_000,
    probeTimeoutMs: 3000,
    probeIntervalMs: 5000,
    gossipNodes: 4,
    gossipIntervalMs: 500,
    gossipToTheDeadTimeMs: 60_000,
  },
};

/** The suspicion timeout's bounds for `n` members (memberlist's `suspicionTimeout`, Lifeguard's max). */
export function suspicionBoundsMs(t: MemberlistTimings, n: number): { minMs: number; maxMs: number } {
  const minMs = swimSuspicionTimeoutMs(t.suspicionMult, n, t.probeIntervalMs);
  return { minMs, maxMs: minMs * Math.max(1, t.suspicionMaxTimeoutMult) };
}

/**
 * The silence that ends in a detection, the window that attributes a
 * detection to a fault: the smallest suspicion timeout plus four probe
 * intervals (the first suspicion comes ~1.6 intervals after the fault, and
 * confirmations that shrink the timeout to its minimum take a few more).
 */
export function silenceOf(t: MemberlistTimings, n: number): number {
  return suspicionBoundsMs(t, n).minMs + 4 * t.probeIntervalMs;
}

/** Lifeguard's parts a set of timings turns on, in words (buddy always: 0.2.2 has no switch for it). */
export function lifeguardWords(t: MemberlistTimings): string {
  const parts = [
    t.awarenessMaxMultiplier > 1 && `health multiplier up to ${t.awarenessMaxMultiplier}`,
    t.suspicionMaxTimeoutMult > 1 && "shrinking suspicion",
    "buddy (always on in 0.2.2)",
  ].filter(Boolean);
  return `Lifeguard: ${parts.join(", ")}`;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** One line describing a set of timings for `n` members. */
export function describeTimings(t: MemberlistTimings, n: number): string {
  const { minMs, maxMs } = suspicionBoundsMs(t, n);
  return `probe every ${s(t.probeIntervalMs)} · timeout ${s(t.probeTimeoutMs)} · k = ${t.indirectChecks} · ` +
    `suspicion ${s(minMs)}${maxMs > minMs ? ` (from ${s(maxMs)})` : ""} · gossip every ${t.gossipIntervalMs} ms ` +
    `to ${t.gossipNodes} · push-pull every ${s(t.pushPullIntervalMs)} over TCP · ${lifeguardWords(t)}`;
}

/** The model a set of timings is compared with: SWIM's first suspicion plus the suspicion timeout. */
export function modelTimings(t: MemberlistTimings, n: number): string {
  const first = swimExpectedDetectionPeriods(1) * t.probeIntervalMs;
  const { minMs, maxMs } = suspicionBoundsMs(t, n);
  const k = lifeguardConfirmationsNeeded(t.suspicionMult);
  if (maxMs > minMs) {
    return `first suspicion ~${s(first)} (1.58 T') + suspicion timeout from ${s(maxMs)} down to ${
      s(minMs)
    } with ${k} confirmations: ~${s(first + minMs)} when confirmed`;
  }
  return `first suspicion ~${s(first)} (1.58 T') + suspicion timeout ${s(minMs)} = ${s(first + minMs)}`;
}
