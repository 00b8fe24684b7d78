/**
 * The basic gossip detector's mistake probability, exactly as van Renesse,
 * Minsky and Hayden (1998, section 3) give it.
 *
 * Model: n members, f of them failed from the start, N = n - f live. Time
 * runs in single-gossiper rounds: in each, one random member gossips to one
 * random other member, so n rounds make one T_gossip. k is the number of
 * live members that hold a given heartbeat, with k_0 = 1:
 *
 *     P_inc(k) = (k / n) * ((n - f - k) / (n - 1)) * P_arrival
 *     P(k_{i+1} = k) = P_inc(k-1) P(k_i = k-1) + (1 - P_inc(k)) P(k_i = k)
 *     P_mistake(r) <= N * (1 - P(k_r = N))          (union bound)
 *
 * T_fail for a target is the smallest r whose bound is below it, as time
 * `T_fail = (r / n) * T_gossip = 8r / B`.
 *
 * @module
 */

/** Parameters of the paper's model. */
export interface GossipModelParams {
  /** Members, n (an integer >= 2). */
  readonly members: number;
  /** Members failed from the start, f (0 <= f <= n - 2). @default 0 */
  readonly failed?: number;
  /** Probability a message is lost, in [0, 1). @default 0 */
  readonly loss?: number;
}

/** A model parameter outside its domain. */
export class ModelParamError extends RangeError {
  /** The parameter at fault. */
  readonly param: string;
  /**
   * Creates the error.
   * @param param The parameter at fault.
   */
  constructor(param: string, message: string) {
    super(message);
    this.name = "ModelParamError";
    this.param = param;
  }
}

/** Checks the model's parameters and returns them with defaults filled. */
export function checkModelParams(
  params: GossipModelParams,
): { members: number; failed: number; loss: number } {
  const { members, failed = 0, loss = 0 } = params;
  if (!Number.isInteger(members) || members < 2) {
    throw new ModelParamError(
      "members",
      `'members' must be an integer >= 2: current value is ${members}`,
    );
  }
  if (!Number.isInteger(failed) || failed < 0 || failed > members - 2) {
    throw new ModelParamError(
      "failed",
      `'failed' must be an integer in [0, members - 2] = [0, ${
        members - 2
      }] (the source and one receiver must live): current value is ${failed}`,
    );
  }
  if (!(loss >= 0 && loss < 1)) {
    throw new ModelParamError(
      "loss",
      `'loss' must be in [0, 1) (at 1 nothing ever arrives): current value is ${loss}`,
    );
  }
  return { members, failed, loss };
}

/**
 * Runs the chain for rounds 0..maxRounds, calling `visit(p, r)` with the
 * distribution P(k_r = k) (indexed by k, 0..N) after each round; a visit
 * returning true stops it there.
 */
function runChain(
  params: GossipModelParams,
  maxRounds: number,
  visit: (p: Float64Array, r: number) => boolean | void,
): void {
  const { members: n, failed: f, loss } = checkModelParams(params);
  if (!Number.isInteger(maxRounds) || maxRounds < 0) {
    throw new ModelParamError("maxRounds", `'maxRounds' must be a non-negative integer: current value is ${maxRounds}`);
  }
  const live = n - f;
  const arrival = 1 - loss;
  const pInc = new Float64Array(live + 1);
  for (let k = 1; k < live; k++) pInc[k] = (k / n) * ((n - f - k) / (n - 1)) * arrival;
  let p = new Float64Array(live + 1);
  let next = new Float64Array(live + 1);
  p[1] = 1;
  for (let r = 0; r <= maxRounds; r++) {
    if (visit(p, r) === true || r === maxRounds) break;
    next[1] = (1 - pInc[1]!) * p[1]!;
    for (let k = 2; k <= live; k++) next[k] = pInc[k - 1]! * p[k - 1]! + (1 - pInc[k]!) * p[k]!;
    [p, next] = [next, p];
  }
}

/**
 * The per-episode miss probability `1 - P(k_r = N)` after each of rounds
 * 0..maxRounds: the probability that one heartbeat has not reached every
 * live member after r single-gossiper rounds. Runs the Markov chain once,
 * O(N * maxRounds). The tail is summed directly over k < N rather than
 * subtracted from 1, so values far below 1e-16 keep their precision.
 */
export function episodeMissCurve(params: GossipModelParams, maxRounds: number): Float64Array {
  const out = new Float64Array(Math.max(0, maxRounds) + 1);
  runChain(params, maxRounds, (p, r) => {
    let tail = 0;
    for (let k = 1; k < p.length - 1; k++) tail += p[k]!;
    out[r] = Math.min(1, tail);
  });
  return out;
}

/**
 * The expected fraction of live members holding the heartbeat, E[k_r] / N,
 * after each of single-gossiper rounds 0..maxRounds (the chain's mean
 * infection curve).
 */
export function expectedInfectedFraction(params: GossipModelParams, maxRounds: number): Float64Array {
  const out = new Float64Array(Math.max(0, maxRounds) + 1);
  runChain(params, maxRounds, (p, r) => {
    let mean = 0;
    for (let k = 1; k < p.length; k++) mean += k * p[k]!;
    out[r] = mean / (p.length - 1);
  });
  return out;
}

/**
 * The paper's bound `P_mistake(r) <= N * (1 - P(k_r = N))` (union bound
 * over the N live sources) after each of rounds 0..maxRounds, capped at 1.
 */
export function mistakeBoundCurve(params: GossipModelParams, maxRounds: number): Float64Array {
  const { members, failed } = checkModelParams(params);
  const live = members - failed;
  return episodeMissCurve(params, maxRounds).map((q) => Math.min(1, live * q));
}

/**
 * The smallest number of single-gossiper rounds r whose union bound is below
 * `pMistake`. One walk of the chain, stopped at that round.
 */
export function roundsForMistake(
  params: GossipModelParams,
  pMistake: number,
): number {
  if (!(pMistake > 0 && pMistake < 1)) {
    throw new ModelParamError(
      "pMistake",
      `'pMistake' must be in (0, 1): current value is ${pMistake}`,
    );
  }
  const { members, failed } = checkModelParams(params);
  const live = members - failed;
  // One walk of the chain, stopping at the first round below the target: the
  // same arithmetic as mistakeBoundCurve's, so the same round. The tail is
  // 1 - p[live] up to rounding (the chain keeps its mass to ~1e-10 over 1e8
  // rounds), so the exact sum is only taken once that is within 1e-6 of the target.
  const target = pMistake / live + 1e-6;
  let rounds = -1;
  runChain(params, 1e9, (p, r) => {
    if (1 - p[live]! > target) return false;
    let tail = 0;
    for (let k = 1; k < p.length - 1; k++) tail += p[k]!;
    if (Math.min(1, live * Math.min(1, tail)) < pMistake) {
      rounds = r;
      return true;
    }
  });
  if (rounds < 0) {
    throw new ModelParamError(
      "pMistake",
      `No T_fail reaches pMistake ${pMistake} within 1e9 rounds`,
    );
  }
  return rounds;
}

/** Rounds to seconds: `T_fail = (r / n) * T_gossip`. */
export function roundsToSeconds(
  rounds: number,
  members: number,
  tGossipSeconds: number,
): number {
  return (rounds / members) * tGossipSeconds;
}

/** One point of a mistake-probability curve over time. */
export interface MistakePoint {
  /** Time since the heartbeat was produced (seconds). */
  readonly seconds: number;
  /** Single-gossiper rounds completed by then: floor(seconds * n / T_gossip). */
  readonly rounds: number;
  /** Per-episode miss probability 1 - P(k_r = N). */
  readonly perEpisode: number;
  /** The paper's union bound N * perEpisode (capped at 1). */
  readonly bound: number;
}

/**
 * The model's curve over time: for each T in `seconds`, the rounds it
 * holds, the per-episode miss probability and the union bound. One chain
 * run up to the largest T.
 */
export function mistakeCurve(
  params: GossipModelParams,
  tGossipSeconds: number,
  seconds: readonly number[],
): MistakePoint[] {
  const { members, failed } = checkModelParams(params);
  if (!(tGossipSeconds > 0)) {
    throw new ModelParamError("tGossipSeconds", `'tGossipSeconds' must be > 0: current value is ${tGossipSeconds}`);
  }
  const roundsAt = (t: number) => Math.max(0, Math.floor((t * members) / tGossipSeconds + 1e-9));
  const maxRounds = Math.max(0, ...seconds.map(roundsAt));
  const curve = episodeMissCurve(params, maxRounds);
  const live = members - failed;
  return seconds.map((t) => {
    const r = roundsAt(t);
    const q = curve[r]!;
    return { seconds: t, rounds: r, perEpisode: q, bound: Math.min(1, live * q) };
  });
}
