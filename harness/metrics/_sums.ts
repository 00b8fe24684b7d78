/**
 * Private arithmetic helpers of the metrics.
 *
 * @module
 */

/** Sum of `xs` (0 when empty). */
export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Arithmetic mean of `xs` (0 when empty). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : sum(xs) / xs.length;
}
