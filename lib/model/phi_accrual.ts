/**
 * The phi accrual failure detector's suspicion level (Hayashibara et al.
 * 2004; Cassandra, Akka): `phi = -log10(1 - F(t))`, F the normal CDF fitted
 * to recent heartbeat inter-arrival times, t the time since the last one.
 * A member is suspected when phi reaches a threshold (Cassandra's default 8).
 *
 * @module
 */

import erfc from "@stdlib/erfc";

/** Cassandra's default threshold. */
export const CASSANDRA_PHI_THRESHOLD = 8;

/**
 * phi for `sinceLastMs` since the last heartbeat, with inter-arrival mean
 * and standard deviation. The upper tail `1 - F` is computed as
 * `erfc(z / sqrt 2) / 2`, so phi stays exact far into the tail.
 */
export function phi(sinceLastMs: number, meanMs: number, stdDevMs: number): number {
  if (!(stdDevMs > 0)) throw new RangeError(`'stdDevMs' must be > 0: current value is ${stdDevMs}`);
  if (!(sinceLastMs >= 0)) throw new RangeError(`'sinceLastMs' must be >= 0: current value is ${sinceLastMs}`);
  const z = (sinceLastMs - meanMs) / stdDevMs;
  const upperTail = 0.5 * (erfc(z / Math.SQRT2) as number);
  return -Math.log10(upperTail);
}

/** The time since the last heartbeat at which phi reaches `threshold` (inverse of {@linkcode phi}). */
export function phiTimeoutMs(threshold: number, meanMs: number, stdDevMs: number): number {
  if (!(threshold > 0)) throw new RangeError(`'threshold' must be > 0: current value is ${threshold}`);
  // Bisection on the monotone phi(t); 200 steps reach double precision.
  let lo = 0;
  let hi = meanMs + stdDevMs;
  while (phi(hi, meanMs, stdDevMs) < threshold) hi = hi * 2 + stdDevMs;
  for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid, meanMs, stdDevMs) < threshold) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The z whose standard normal upper tail is `tail`, by bisection on erfc (monotone). */
export function upperTailZ(tail: number): number {
  let lo = -10;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * (erfc(mid / Math.SQRT2) as number) > tail) lo = mid;
    else hi = mid;
  }
  return hi;
}
