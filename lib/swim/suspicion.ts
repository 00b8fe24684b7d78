/**
 * SWIM's suspicion timeout and Lifeguard's dynamic version (HashiCorp
 * memberlist's `suspicion.go`), as pure functions. The detector runs these
 * and `lib/model/lifeguard.ts` re-exports them, so the model and the tests
 * check the copy the detector runs.
 *
 *     min = SuspicionMult * max(1, log10 n) * T'
 *     max = 6 * min,  K = max(1, SuspicionMult - 2)
 *     timeout(C) = max(min, max - (max - min) * log(C + 1) / log(K + 1))
 *
 * @module
 */

/** Lifeguard's largest suspicion timeout as a multiple of the smallest (memberlist: 6). */
export const LIFEGUARD_MAX_TIMEOUT_FACTOR = 6;

/**
 * SWIM's suspicion timeout, and Lifeguard's minimum:
 * `suspicionMult * max(1, log10 members) * protocolPeriodMs` (memberlist's
 * `SuspicionMult * log(N) * ProbeInterval` with its floor of one).
 *
 * @example
 * ```ts
 * swimSuspicionTimeoutMs(4, 100, 1000); // 8000
 * ```
 */
export function swimSuspicionTimeoutMs(suspicionMult: number, members: number, protocolPeriodMs: number): number {
  return suspicionMult * Math.max(1, Math.log10(members)) * protocolPeriodMs;
}

/**
 * K, the independent confirmations that bring Lifeguard's timeout down to
 * its minimum: `suspicionMult - 2`, at least 1 (so `log(K + 1)` is never 0).
 */
export function lifeguardConfirmationsNeeded(suspicionMult: number): number {
  return Math.max(1, suspicionMult - 2);
}

/**
 * Lifeguard's suspicion timeout after `confirmations` (C) independent
 * confirmations: `max(min, max - (max - min) * log(C + 1) / log(K + 1))`,
 * from `maxMs` (C = 0) down to `minMs` (C >= K).
 *
 * @param confirmations C >= 0.
 * @param k K >= 1, from {@linkcode lifeguardConfirmationsNeeded}.
 * @param minMs The timeout once K confirmations are in.
 * @param maxMs The timeout without confirmation. @default {6 * minMs}
 */
export function lifeguardSuspicionTimeoutMs(
  confirmations: number,
  k: number,
  minMs: number,
  maxMs: number = LIFEGUARD_MAX_TIMEOUT_FACTOR * minMs,
): number {
  return Math.max(minMs, maxMs - ((maxMs - minMs) * Math.log(confirmations + 1)) / Math.log(k + 1));
}

/**
 * memberlist's `remainingSuspicionTime`: how long a suspicion started
 * `elapsedMs` ago still runs after `confirmations` confirmations (negative
 * once it has run out).
 *
 * @example
 * ```ts
 * remainingSuspicionMs(0, 2, 1000, 4000); // 24000 - 1000 = 23000
 * ```
 */
export function remainingSuspicionMs(
  confirmations: number,
  k: number,
  elapsedMs: number,
  minMs: number,
  maxMs: number = LIFEGUARD_MAX_TIMEOUT_FACTOR * minMs,
): number {
  return lifeguardSuspicionTimeoutMs(confirmations, k, minMs, maxMs) - elapsedMs;
}
