/**
 * SWIM's settings: every default and derived timing in one place
 * (memberlist's `config.go`). {@linkcode resolveSwimOptions} fills the
 * defaults for a group size and checks every field; the detector and the
 * harness should both take their numbers from it.
 *
 * @example
 * ```ts
 * const o = resolveSwimOptions({ protocolPeriodMs: 500, lifeguard: true }, 100);
 * o.pingTimeoutMs; // 250 = min(500, T' / 2)
 * o.suspicionTimeoutMs; // 4000 = 4 * log10(100) * 500
 * o.buddy; // true
 * ```
 *
 * @module
 */

import { ConfigError } from "../core/errors.ts";
import { LIFEGUARD_MAX_TIMEOUT_FACTOR, lifeguardConfirmationsNeeded, swimSuspicionTimeoutMs } from "./suspicion.ts";

/** SWIM's tunable settings (all optional; see {@linkcode SWIM_DEFAULTS}). */
export interface SwimProtocolOptions {
  /** Protocol period T' (ms): one probe per period. @default {1000} */
  readonly protocolPeriodMs?: number;
  /**
   * Direct ping timeout (ms), below T'; then k members are asked to probe
   * (ping-req). @default {min(500, protocolPeriodMs / 2)}
   */
  readonly pingTimeoutMs?: number;
  /** Members asked to probe indirectly, k. @default {3} */
  readonly indirectChecks?: number;
  /** Suspicion multiplier (memberlist's SuspicionMult). @default {4} */
  readonly suspicionMult?: number;
  /**
   * Suspicion timeout (ms), Lifeguard's minimum when `dynamicSuspicion` is
   * on. @default {suspicionMult * max(1, log10 n) * protocolPeriodMs}
   */
  readonly suspicionTimeoutMs?: number;
  /**
   * Transmissions of each update: `retransmitMult * ceil(log10(n + 1))`
   * (at least 1). @default {4}
   */
  readonly retransmitMult?: number;
  /** Most updates piggybacked on one message. @default {8} */
  readonly maxPiggyback?: number;
  /**
   * memberlist's separate gossip: every `gossipIntervalMs`, queued updates
   * go to `gossipNodes` random members in a message of their own, besides
   * riding on probes. null: piggyback only, as in the SWIM paper.
   * @default {null}
   */
  readonly gossipIntervalMs?: number | null;
  /** Members each separate gossip goes to. @default {3} */
  readonly gossipNodes?: number;
  /**
   * Shorthand for Lifeguard's three parts (`awareness`, `dynamicSuspicion`,
   * `buddy`); each part given explicitly overrides it. @default {false}
   */
  readonly lifeguard?: boolean;
  /**
   * Lifeguard's local health (memberlist's awareness): this member's failed
   * probes and refuted suspicions raise a score that multiplies its probe
   * period and ping timeout by score + 1; successful probes lower it.
   * @default {lifeguard}
   */
  readonly awareness?: boolean;
  /**
   * Lifeguard's dynamic suspicion: the timeout starts at 6x the minimum and
   * shrinks with independent confirmations (see `suspicion.ts`).
   * @default {lifeguard}
   */
  readonly dynamicSuspicion?: boolean;
  /**
   * Lifeguard's buddy system: a message to a suspected member carries its
   * suspicion first, so it can refute at once. @default {lifeguard}
   */
  readonly buddy?: boolean;
  /** Largest local health multiplier (memberlist's AwarenessMaxMultiplier), >= 1. @default {8} */
  readonly maxHealthMultiplier?: number;
}

/** Every setting filled in for a group of `members`, plus the derived timings. */
export interface ResolvedSwimOptions {
  /** Group size n the derived values are for (self included). */
  readonly members: number;
  /** Protocol period T' (ms). */
  readonly protocolPeriodMs: number;
  /** Direct ping timeout (ms). */
  readonly pingTimeoutMs: number;
  /** Indirect probers k. */
  readonly indirectChecks: number;
  /** Suspicion multiplier. */
  readonly suspicionMult: number;
  /** Suspicion timeout (ms); Lifeguard's minimum when `dynamicSuspicion` is on. */
  readonly suspicionTimeoutMs: number;
  /** Longest suspicion timeout (ms): 6x the minimum with `dynamicSuspicion`, else the same. */
  readonly suspicionMaxMs: number;
  /** Confirmations K that bring a dynamic suspicion timeout down to the minimum. */
  readonly confirmationsNeeded: number;
  /** Retransmission multiplier. */
  readonly retransmitMult: number;
  /** Transmissions of each update, `max(1, retransmitMult * ceil(log10(n + 1)))`. */
  readonly retransmits: number;
  /** Most updates per message. */
  readonly maxPiggyback: number;
  /** Separate gossip interval (ms), or null for piggyback only. */
  readonly gossipIntervalMs: number | null;
  /** Members each separate gossip goes to. */
  readonly gossipNodes: number;
  /** Lifeguard's local health multiplier is on. */
  readonly awareness: boolean;
  /** Lifeguard's shrinking suspicion timeout is on. */
  readonly dynamicSuspicion: boolean;
  /** Lifeguard's buddy system is on. */
  readonly buddy: boolean;
  /** Largest local health multiplier. */
  readonly maxHealthMultiplier: number;
}

/**
 * The defaults (memberlist's LAN values where it has one). The ping timeout
 * is `min(SWIM_DEFAULTS.pingTimeoutMs, protocolPeriodMs / 2)`; the suspicion
 * timeout is derived (see {@linkcode swimSuspicionTimeoutMs}).
 */
export const SWIM_DEFAULTS = {
  protocolPeriodMs: 1000,
  pingTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  retransmitMult: 4,
  maxPiggyback: 8,
  gossipIntervalMs: null,
  gossipNodes: 3,
  lifeguard: false,
  maxHealthMultiplier: 8,
} as const;

/** Most 11-byte updates that fit one UDP datagram (65 507 bytes) after the 18-byte SWIM header. */
export const MAX_PIGGYBACK: number = Math.floor((65_507 - 18) / 11);

/**
 * Fills SWIM's defaults for a group of `members` (self included) and checks
 * every field. Pure.
 *
 * @throws {ConfigError} (a `RangeError`) naming the field, e.g. `pingTimeoutMs`
 * when it is not below `protocolPeriodMs`.
 */
export function resolveSwimOptions(options: SwimProtocolOptions, members: number): ResolvedSwimOptions {
  const d = SWIM_DEFAULTS;
  const fail = (field: string, rule: string, value: unknown): never => {
    throw new ConfigError(field, `Cannot configure SWIM as '${field}' must be ${rule}: current value is ${value}`);
  };
  const positive = (field: string, v: number) => {
    if (!(v > 0 && Number.isFinite(v))) fail(field, "a finite number > 0", v);
  };
  const integer = (field: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max) fail(field, `an integer in [${min}, ${max}]`, v);
  };
  if (!Number.isInteger(members) || members < 1) fail("members", "an integer >= 1", members);
  const protocolPeriodMs = options.protocolPeriodMs ?? d.protocolPeriodMs;
  positive("protocolPeriodMs", protocolPeriodMs);
  const pingTimeoutMs = options.pingTimeoutMs ?? Math.min(d.pingTimeoutMs, protocolPeriodMs / 2);
  positive("pingTimeoutMs", pingTimeoutMs);
  if (!(pingTimeoutMs < protocolPeriodMs)) {
    fail("pingTimeoutMs", `below 'protocolPeriodMs' (${protocolPeriodMs})`, pingTimeoutMs);
  }
  const indirectChecks = options.indirectChecks ?? d.indirectChecks;
  integer("indirectChecks", indirectChecks, 0);
  const suspicionMult = options.suspicionMult ?? d.suspicionMult;
  positive("suspicionMult", suspicionMult);
  const suspicionTimeoutMs = options.suspicionTimeoutMs ??
    swimSuspicionTimeoutMs(suspicionMult, members, protocolPeriodMs);
  positive("suspicionTimeoutMs", suspicionTimeoutMs);
  const retransmitMult = options.retransmitMult ?? d.retransmitMult;
  integer("retransmitMult", retransmitMult, 0);
  const maxPiggyback = options.maxPiggyback ?? d.maxPiggyback;
  integer("maxPiggyback", maxPiggyback, 0, MAX_PIGGYBACK);
  const gossipIntervalMs = options.gossipIntervalMs ?? d.gossipIntervalMs;
  if (gossipIntervalMs !== null) positive("gossipIntervalMs", gossipIntervalMs);
  const gossipNodes = options.gossipNodes ?? d.gossipNodes;
  integer("gossipNodes", gossipNodes, 0);
  const lifeguard = options.lifeguard ?? d.lifeguard;
  const dynamicSuspicion = options.dynamicSuspicion ?? lifeguard;
  const maxHealthMultiplier = options.maxHealthMultiplier ?? d.maxHealthMultiplier;
  integer("maxHealthMultiplier", maxHealthMultiplier, 1);
  return {
    members,
    protocolPeriodMs,
    pingTimeoutMs,
    indirectChecks,
    suspicionMult,
    suspicionTimeoutMs,
    suspicionMaxMs: dynamicSuspicion ? LIFEGUARD_MAX_TIMEOUT_FACTOR * suspicionTimeoutMs : suspicionTimeoutMs,
    confirmationsNeeded: lifeguardConfirmationsNeeded(suspicionMult),
    retransmitMult,
    retransmits: Math.max(1, retransmitMult * Math.ceil(Math.log10(members + 1))),
    maxPiggyback,
    gossipIntervalMs,
    gossipNodes,
    awareness: options.awareness ?? lifeguard,
    dynamicSuspicion,
    buddy: options.buddy ?? lifeguard,
    maxHealthMultiplier,
  };
}
