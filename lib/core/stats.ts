/**
 * Statistics the reports use: order statistics and exact confidence
 * intervals. The distribution quantiles come from stdlib-js; this module is
 * the typed boundary around them.
 *
 * @module
 */

import chisquareQuantile from "@stdlib/chisquare-quantile";
import betaQuantile from "@stdlib/beta-quantile";
import gammalnUntyped from "@stdlib/gammaln";
import { permutationTest, quantileSorted } from "simple-statistics";
import type { Prng } from "./prng.ts";

const gammaln = gammalnUntyped as (x: number) => number;

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

/**
 * One-sided permutation test (on the difference of means) that `current`
 * tends to be larger than `baseline`. Returns the p-value; `rng` makes it
 * reproducible.
 */
export function largerPValue(
  current: readonly number[],
  baseline: readonly number[],
  rng: Prng,
  permutations = 2000,
): number {
  if (current.length === 0 || baseline.length === 0) return 1;
  return permutationTest([...current], [...baseline], "greater", permutations, rng) as number;
}

/**
 * Exact conditional test that a Poisson count `a` over exposure `ea` has a
 * higher rate than `b` over `eb`: given a + b events, a is binomial with
 * p = ea / (ea + eb) under equal rates. Returns P(X >= a).
 */
export function poissonRateIncreasePValue(a: number, ea: number, b: number, eb: number): number {
  const n = a + b;
  if (n === 0 || a === 0) return 1;
  const p = ea / (ea + eb);
  // Sum the upper tail in log space.
  const logChoose = (k: number) => gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
  let tail = 0;
  for (let k = a; k <= n; k++) tail += Math.exp(logChoose(k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
  return Math.min(1, tail);
}
