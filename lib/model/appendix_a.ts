/**
 * The paper's appendix A mean-field approximation (van Renesse, Minsky and
 * Hayden 1998), recommended above about 50 members. Rounds here are *full*
 * rounds: every member gossips once, so one round is one T_gossip.
 *
 *     P_inf(k) = 1 - (1 - P_arrival / (n - 1))^k
 *     k_{i+1}  = k_i + (n - f - k_i) * P_inf(k_i),      k_0 = 1
 *     P_mistake(r) <= (n - f) * (1 - (k_r / (n - f))^(n - f))
 *
 * @module
 */

import { checkModelParams, type GossipModelParams, ModelParamError } from "./gossip_markov.ts";

/** Expected number of live members holding the heartbeat after each of full rounds 0..maxRounds. */
export function meanFieldInfected(params: GossipModelParams, maxRounds: number): Float64Array {
  const { members: n, failed: f, loss } = checkModelParams(params);
  const arrival = 1 - loss;
  const out = new Float64Array(maxRounds + 1);
  let k = 1;
  for (let r = 0; r <= maxRounds; r++) {
    out[r] = k;
    const pInf = 1 - Math.pow(1 - arrival / (n - 1), k);
    k = k + (n - f - k) * pInf;
  }
  return out;
}

/** The appendix A bound on P_mistake after each of full rounds 0..maxRounds (capped at 1). */
export function meanFieldMistakeBound(params: GossipModelParams, maxRounds: number): Float64Array {
  const { members: n, failed: f } = checkModelParams(params);
  const live = n - f;
  return meanFieldInfected(params, maxRounds).map((k) => {
    // 1 - x^live computed as -expm1(live * log x) keeps precision when x is close to 1.
    const miss = -Math.expm1(live * Math.log(Math.min(1, k / live)));
    return Math.min(1, live * miss);
  });
}

/** The smallest number of full rounds (T_gossip periods) whose bound is below `pMistake`. */
export function fullRoundsForMistake(params: GossipModelParams, pMistake: number): number {
  if (!(pMistake > 0 && pMistake < 1)) {
    throw new ModelParamError("pMistake", `'pMistake' must be in (0, 1): current value is ${pMistake}`);
  }
  let horizon = 64;
  for (;;) {
    const curve = meanFieldMistakeBound(params, horizon);
    for (let r = 0; r < curve.length; r++) if (curve[r]! < pMistake) return r;
    if (horizon > 1e7) throw new ModelParamError("pMistake", `No round count reaches pMistake ${pMistake}`);
    horizon *= 4;
  }
}
