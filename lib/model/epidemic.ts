/**
 * Expected infection curves of one update spread by gossip (the lectures'
 * push, pull and push-pull), as mean-field recurrences over synchronous
 * rounds with exact n. `s` is the expected number of members still
 * susceptible, `I = n - s` the infected ones, `p` the probability one
 * message arrives.
 *
 * - push: every infected member sends to `fanout` random others:
 *   `s' = s * (1 - p / (n - 1))^(fanout * I)`.
 * - pull: every susceptible member asks one random other, and is infected
 *   if it asked an infected member and both request and reply arrive:
 *   `s' = s * (1 - p^2 * I / (n - 1))`.
 * - push-pull: both in the same round: the product of the two factors.
 *
 * Push infects everyone in O(log n) rounds; pull's second half is
 * super-exponential (s shrinks quadratically once most are infected).
 *
 * @module
 */

/** Gossip styles with a model. */
export const EPIDEMIC_STYLES = ["push", "pull", "push-pull"] as const;
/** One of {@linkcode EPIDEMIC_STYLES}. */
export type EpidemicStyle = typeof EPIDEMIC_STYLES[number];

/** Parameters of an epidemic curve. */
export interface EpidemicParams {
  /** Members, n >= 2. */
  readonly members: number;
  /** Probability a message is lost, in [0, 1). @default {0} */
  readonly loss?: number;
  /** Targets per infected member per round (push). @default {1} */
  readonly fanout?: number;
}

/** Expected infected members after each of rounds 0..maxRounds, starting from one. */
export function epidemicCurve(style: EpidemicStyle, params: EpidemicParams, maxRounds: number): Float64Array {
  const { members: n, loss = 0, fanout = 1 } = params;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`'members' must be an integer >= 2: current value is ${n}`);
  if (!(loss >= 0 && loss < 1)) throw new RangeError(`'loss' must be in [0, 1): current value is ${loss}`);
  if (!(fanout >= 1)) throw new RangeError(`'fanout' must be >= 1: current value is ${fanout}`);
  const p = 1 - loss;
  const out = new Float64Array(maxRounds + 1);
  let s = n - 1;
  for (let r = 0; r <= maxRounds; r++) {
    out[r] = n - s;
    const infected = n - s;
    const pushMiss = Math.pow(1 - p / (n - 1), fanout * infected);
    const pullMiss = 1 - (p * p * infected) / (n - 1);
    s = style === "push" ? s * pushMiss : style === "pull" ? s * pullMiss : s * pushMiss * pullMiss;
  }
  return out;
}

/**
 * The first round at which the curve reaches `fraction` of the members
 * (fraction 1 means fewer than half a member left susceptible), or null
 * within the curve.
 */
export function roundsToFraction(curve: Float64Array, members: number, fraction: number): number | null {
  const target = fraction >= 1 ? members - 0.5 : fraction * members;
  for (let r = 0; r < curve.length; r++) if (curve[r]! >= target) return r;
  return null;
}
