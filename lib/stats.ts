/**
 * Statistics the reports use: order statistics and exact confidence
 * intervals. The distribution quantiles come from stdlib-js; this module is
 * the typed boundary around them.
 *
 * @module
 */

import chisquareQuantile from "@stdlib/chisquare-quantile";
import betaQuantile from "@stdlib/beta-quantile";
import { quantileSorted } from "simple-statistics";

/**
 * The q-quantile of values (linear interpolation between order statistics,
 * R's type 7), or null for no values.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return quantileSorted(sorted, q) as number;
}

/** A two-sided interval [low, high]. */
export type Interval = readonly [low: number, high: number];

/**
 * Exact (Garwood) two-sided confidence interval for a Poisson count k:
 * `[chi2(a/2; 2k) / 2, chi2(1 - a/2; 2k + 2) / 2]`. Divide by the exposure
 * to get a rate interval. For k = 0 the low end is 0 and the high end is
 * the upper bound (3.689 at 95%).
 */
export function poissonInterval(k: number, confidence = 0.95): Interval {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(
      `'k' must be a non-negative integer: current value is ${k}`,
    );
  }
  const alpha = 1 - confidence;
  const low = k === 0 ? 0 : (chisquareQuantile(alpha / 2, 2 * k) as number) / 2;
  const high = (chisquareQuantile(1 - alpha / 2, 2 * k + 2) as number) / 2;
  return [low, high];
}

/**
 * Exact (Clopper-Pearson) two-sided confidence interval for a binomial
 * proportion with k successes in n trials.
 */
export function binomialInterval(
  k: number,
  n: number,
  confidence = 0.95,
): Interval {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `'n' must be a positive integer: current value is ${n}`,
    );
  }
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(
      `'k' must be an integer in [0, n]: current value is ${k}`,
    );
  }
  const alpha = 1 - confidence;
  const low = k === 0 ? 0 : (betaQuantile(alpha / 2, k, n - k + 1) as number);
  const high = k === n ? 1 : (betaQuantile(1 - alpha / 2, k + 1, n - k) as number);
  return [low, high];
}
