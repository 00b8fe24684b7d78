/**
 * The neighbour-ping detector's settings, their defaults (the only ones)
 * and their checks.
 *
 * @module
 */

import { ConfigError } from "../core/errors.ts";

/** The neighbour-ping detector's settings (ms where a time). */
export interface NeighborSettings {
  /** Ping period. @default {1000} */
  readonly pingIntervalMs: number;
  /** Ack timeout, below the ping period. @default {min(500, pingIntervalMs / 2)} */
  readonly pingTimeoutMs: number;
  /** Consecutive unanswered pings before a pinger suspects. @default {3} */
  readonly missesToSuspect: number;
  /** Neighbours pinged on each side of the id ring. @default {2} */
  readonly neighborsPerSide: number;
  /** Distinct pingers that must agree (at most 2 neighborsPerSide). @default {2} */
  readonly quorum: number;
  /** Failure-notice gossip period. @default {100} */
  readonly noticeIntervalMs: number;
  /** Membership gossip period. @default {5000} */
  readonly membershipIntervalMs: number;
}

/** The fixed defaults of {@linkcode NeighborSettings} (the ping timeout's depends on the ping period). */
export const NEIGHBOR_DEFAULTS = {
  pingIntervalMs: 1000,
  missesToSuspect: 3,
  neighborsPerSide: 2,
  quorum: 2,
  noticeIntervalMs: 100,
  membershipIntervalMs: 5000,
} as const;

/** Fills every default of {@linkcode NeighborSettings} and checks each field; throws ConfigError naming it. */
export function resolveNeighborSettings(partial: Partial<NeighborSettings>): NeighborSettings {
  const d = NEIGHBOR_DEFAULTS;
  const pingIntervalMs = partial.pingIntervalMs ?? d.pingIntervalMs;
  const s: NeighborSettings = {
    pingIntervalMs,
    pingTimeoutMs: partial.pingTimeoutMs ?? Math.min(500, pingIntervalMs / 2),
    missesToSuspect: partial.missesToSuspect ?? d.missesToSuspect,
    neighborsPerSide: partial.neighborsPerSide ?? d.neighborsPerSide,
    quorum: partial.quorum ?? d.quorum,
    noticeIntervalMs: partial.noticeIntervalMs ?? d.noticeIntervalMs,
    membershipIntervalMs: partial.membershipIntervalMs ?? d.membershipIntervalMs,
  };
  for (const field of ["pingIntervalMs", "pingTimeoutMs", "noticeIntervalMs", "membershipIntervalMs"] as const) {
    if (!(s[field] > 0 && Number.isFinite(s[field]))) {
      throw new ConfigError(`${field}`, `'${field}' must be positive: current value is ${s[field]}`);
    }
  }
  if (!(s.pingTimeoutMs < s.pingIntervalMs)) {
    throw new ConfigError(
      "pingTimeoutMs",
      `'pingTimeoutMs' must be below 'pingIntervalMs' (${s.pingIntervalMs}): current value is ${s.pingTimeoutMs}`,
    );
  }
  for (const field of ["missesToSuspect", "neighborsPerSide", "quorum"] as const) {
    if (!(Number.isInteger(s[field]) && s[field] >= 1)) {
      throw new ConfigError(
        `${field}`,
        `'${field}' must be an integer >= 1: current value is ${s[field]}`,
      );
    }
  }
  if (s.quorum > 2 * s.neighborsPerSide) {
    throw new ConfigError(
      "quorum",
      `'quorum' must be <= 2 * 'neighborsPerSide' (${2 * s.neighborsPerSide} pingers): current value is ${s.quorum}`,
    );
  }
  return s;
}
