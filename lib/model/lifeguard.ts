/**
 * Lifeguard's suspicion timeout (HashiCorp memberlist): it starts at its
 * maximum and shrinks as independent confirmations C arrive:
 *
 *     timeout = max(min, max - (max - min) * log(C + 1) / log(K + 1))
 *     min = SuspicionMult * max(1, log10 n) * ProbeInterval
 *     max = 6 * min,  K = max(1, SuspicionMult - 2)
 *
 * The formulas are the SWIM detector's own (`lib/swim/suspicion.ts`),
 * re-exported here, so the model computes exactly what the detector runs.
 *
 * @module
 */

import {
  LIFEGUARD_MAX_TIMEOUT_FACTOR,
  lifeguardConfirmationsNeeded,
  lifeguardSuspicionTimeoutMs,
  swimSuspicionTimeoutMs,
} from "../swim/suspicion.ts";

export {
  LIFEGUARD_MAX_TIMEOUT_FACTOR,
  lifeguardConfirmationsNeeded,
  lifeguardSuspicionTimeoutMs,
  remainingSuspicionMs,
  swimSuspicionTimeoutMs,
} from "../swim/suspicion.ts";

/** Parameters of {@linkcode suspicionTimeoutMs}. */
export interface SuspicionTimeoutParams {
  /** Members, n >= 1. */
  readonly members: number;
  /** Independent confirmations received so far, C >= 0. */
  readonly confirmations: number;
  /** memberlist's SuspicionMult (LAN default 4); K = max(1, SuspicionMult - 2). @default {4} */
  readonly suspicionMult?: number;
  /** Probe interval (LAN default 1 s). @default {1000} */
  readonly probeIntervalMs?: number;
}

/** The timeout and its bounds, in ms. */
export interface SuspicionTimeout {
  /** Lower bound, reached after K confirmations. */
  readonly minMs: number;
  /** Upper bound, with no confirmation. */
  readonly maxMs: number;
  /** The timeout for the given confirmations. */
  readonly timeoutMs: number;
}

/** Lifeguard's suspicion timeout after C confirmations, with its bounds. */
export function suspicionTimeoutMs(params: SuspicionTimeoutParams): SuspicionTimeout {
  const { members, confirmations, suspicionMult = 4, probeIntervalMs = 1000 } = params;
  if (!(members >= 1)) throw new RangeError(`'members' must be >= 1: current value is ${members}`);
  if (!Number.isInteger(confirmations) || confirmations < 0) {
    throw new RangeError(`'confirmations' must be a non-negative integer: current value is ${confirmations}`);
  }
  if (!(suspicionMult > 0)) throw new RangeError(`'suspicionMult' must be > 0: current value is ${suspicionMult}`);
  const minMs = swimSuspicionTimeoutMs(suspicionMult, members, probeIntervalMs);
  const maxMs = LIFEGUARD_MAX_TIMEOUT_FACTOR * minMs;
  const timeoutMs = lifeguardSuspicionTimeoutMs(
    confirmations,
    lifeguardConfirmationsNeeded(suspicionMult),
    minMs,
    maxMs,
  );
  return { minMs, maxMs, timeoutMs };
}
