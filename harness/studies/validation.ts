/**
 * Confronts the paper's analysis with measured propagation episodes: for a
 * range of T, the model's per-episode miss probability beside the measured
 * fraction of episodes some live member had not learned within T (exact
 * 95% interval), their ratio and a verdict; and the measured infection
 * curve beside the chain's mean curve and the push epidemic.
 *
 * What is compared: the chain gives, for one heartbeat, `q(T) = 1 -
 * P(k_r = N)`, the probability that not every live member holds it after T.
 * The paper's P_mistake is the union bound `N q(T)` over the N live sources.
 * Episodes measure q(T) directly, so rows compare q with q; the implied
 * P_mistake (N times each) is shown beside.
 *
 * @module
 */

import { Histogram, type HistogramData } from "../../lib/core/histogram.ts";
import { episodeMissCurve, expectedInfectedFraction, type GossipModelParams } from "../../lib/model/gossip_markov.ts";
import { epidemicCurve, roundsToFraction } from "../../lib/model/epidemic.ts";
import { meanFieldInfected } from "../../lib/model/appendix_a.ts";
import { binomialInterval, type Interval } from "../../lib/core/stats.ts";
import type { EpisodeRecord } from "../metrics/episodes.ts";

/** How a measured point compares with the model. */
export const VERDICTS = ["consistent", "model optimistic", "model pessimistic", "inconclusive"] as const;
/** One of {@linkcode VERDICTS}. */
export type Verdict = typeof VERDICTS[number];

/** One row of the validation table. */
export interface ValidationRow {
  /** T (nominal seconds after the heartbeat's origin). */
  readonly seconds: number;
  /** T / T_fail. */
  readonly tOverTFail: number;
  /** Single-gossiper rounds in T. */
  readonly rounds: number;
  /** Model per-episode miss probability q(T). */
  readonly modelPerEpisode: number;
  /** Model P_mistake bound N q(T). */
  readonly modelPMistake: number;
  /**
   * Appendix A's per-episode miss probability `1 - (k_r / N)^N` after
   * r = floor(T / T_gossip) full rounds (everyone gossips once per period).
   */
  readonly appendixAPerEpisode: number;
  /** Episodes not learned by every live observer within T. */
  readonly misses: number;
  /** Episodes measured. */
  readonly episodes: number;
  /** Measured q(T). */
  readonly measuredPerEpisode: number;
  /** Clopper-Pearson 95% interval of measured q(T). */
  readonly ci95: Interval;
  /** N times measured q(T), comparable with the model's P_mistake. */
  readonly measuredPMistake: number;
  /** Measured per-pair probability (one observer, one episode) not learned within T (histogram resolution, 2%). */
  readonly measuredPerPair: number;
  /**
   * The same detectors in virtual time (no network, no timer noise): the
   * fraction of simulated episodes not learned by every live member by T.
   * Null when no simulation was run.
   */
  readonly simulatedPerEpisode: number | null;
  /**
   * Smallest and largest simulated miss fraction across the simulation's
   * independent phase layouts (seeds). Episodes of one run share its
   * layout, so this range, not the binomial interval, is the run-to-run
   * spread to expect. Null when no simulation was run.
   */
  readonly simulatedLayoutRange: Interval | null;
  /** measured / model (null when the model is 0). */
  readonly ratio: number | null;
  /** Consistent when the model lies inside the interval. */
  readonly verdict: Verdict;
}

/** One point of the infection curve. */
export interface InfectionPoint {
  /** Time since origin in gossip periods. */
  readonly periods: number;
  /** Measured mean fraction of live observers holding the heartbeat. */
  readonly measured: number;
  /** The chain's mean fraction, (E[k] - 1) / (N - 1). */
  readonly chain: number;
  /** The push epidemic's mean fraction (full rounds = periods). */
  readonly push: number;
}

/** Rounds (gossip periods) to reach a fraction of the live observers. */
export interface RoundsTo {
  /** 50% of observers. */
  readonly half: number | null;
  /** 99% of observers. */
  readonly p99: number | null;
  /** Every observer (median over episodes where measured). */
  readonly all: number | null;
}

/** The validation of one run. */
export interface Validation {
  /** Model parameters (n, f, loss). */
  readonly model: Required<GossipModelParams>;
  /** Gossip period and T_fail used (nominal seconds). */
  readonly tGossipSeconds: number;
  /** T_fail chosen from the model for the target P_mistake. */
  readonly tFailSeconds: number;
  /** Live observers per episode. */
  readonly expectedObservers: number;
  /** What rows compare. */
  readonly compares: string;
  /** One row per T. */
  readonly rows: readonly ValidationRow[];
  /** The mean infection curve, measured and modelled. */
  readonly infection: readonly InfectionPoint[];
  /** Rounds to 50%, 99%, 100%: measured, chain, push epidemic. */
  readonly roundsTo: { readonly measured: RoundsTo; readonly chain: RoundsTo; readonly push: RoundsTo };
}

/** Inputs of {@linkcode validate}. */
export interface ValidateInput {
  /** The model's n, f and loss (the run's own). */
  readonly model: Required<GossipModelParams>;
  /** Gossip period (nominal seconds). */
  readonly tGossipSeconds: number;
  /** T_fail the run used (nominal seconds). */
  readonly tFailSeconds: number;
  /** Episode window (nominal seconds): the largest T in the table. */
  readonly horizonSeconds: number;
  /** Episodes from live sources (merged over shards). */
  readonly episodes: readonly EpisodeRecord[];
  /** Live observers per episode. */
  readonly expectedObservers: number;
  /** Every learn's propagation time (nominal ms). */
  readonly propagation: HistogramData;
  /** False makes every verdict "inconclusive". */
  readonly faithful: boolean;
  /** The same protocol simulated in virtual time, one episode list per phase layout (seed). */
  readonly simulated?: {
    readonly layouts: readonly (readonly EpisodeRecord[])[];
    readonly expectedObservers: number;
  };
}

const TARGETS = [0.5, 0.2, 0.1, 0.05, 0.02, 1e-2, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5, 3e-6, 1e-6];

/** Builds the validation table and the infection curve. */
export function validate(input: ValidateInput): Validation {
  const { model, tGossipSeconds: tg, tFailSeconds, horizonSeconds, expectedObservers: observers } = input;
  const n = model.members;
  const live = n - model.failed;
  const maxRounds = Math.floor((horizonSeconds * n) / tg);
  const q = episodeMissCurve(model, maxRounds);
  const meanField = meanFieldInfected(model, Math.ceil(horizonSeconds / tg) + 1);
  // Rows: the first round where the model falls below each target, plus T_fail.
  const rounds = new Set<number>();
  for (const target of TARGETS) {
    const r = q.findIndex((v) => v < target);
    if (r >= 0) rounds.add(r);
  }
  rounds.add(Math.min(maxRounds, Math.floor((tFailSeconds * n) / tg + 1e-9)));
  // Typed arrays sort numerically and fast (ten million episodes).
  const sortedMax = (list: readonly EpisodeRecord[], expected: number) =>
    Float64Array.from(list, (e) => (e.learned >= expected ? e.maxPropMs : Infinity)).sort();
  const maxProp = sortedMax(input.episodes, observers);
  const total = maxProp.length;
  const layouts = input.simulated
    ? input.simulated.layouts.map((l) => sortedMax(l, input.simulated!.expectedObservers))
    : [];
  const simulated = input.simulated
    ? sortedMax(input.simulated.layouts.flat(), input.simulated.expectedObservers)
    : null;
  const missFraction = (sorted: Float64Array, tMs: number) =>
    sorted.length > 0 ? (sorted.length - upperBound(sorted, tMs)) / sorted.length : 0;
  const pairs = total * observers;
  const propagation = new Histogram();
  propagation.merge(input.propagation);
  const rows = [...rounds].sort((a, b) => a - b).map((r): ValidationRow => {
    const seconds = (r / n) * tg;
    const tMs = seconds * 1000;
    const misses = total - upperBound(maxProp, tMs);
    const measured = total > 0 ? misses / total : 0;
    const ci = total > 0 ? binomialInterval(misses, total) : ([0, 1] as const);
    const modelQ = q[r]!;
    let verdict: Verdict = "consistent";
    if (!input.faithful || total === 0) verdict = "inconclusive";
    else if (modelQ < ci[0]) verdict = "model optimistic";
    else if (modelQ > ci[1]) verdict = "model pessimistic";
    return {
      seconds,
      tOverTFail: seconds / tFailSeconds,
      rounds: r,
      modelPerEpisode: modelQ,
      modelPMistake: Math.min(1, live * modelQ),
      appendixAPerEpisode: -Math.expm1(
        live * Math.log(Math.min(1, meanField[Math.floor(seconds / tg + 1e-9)]! / live)),
      ),
      misses,
      episodes: total,
      measuredPerEpisode: measured,
      ci95: ci,
      measuredPMistake: Math.min(1, live * measured),
      measuredPerPair: pairs > 0 ? 1 - propagation.countAtMost(tMs) / pairs : 0,
      simulatedPerEpisode: simulated && simulated.length > 0 ? missFraction(simulated, tMs) : null,
      simulatedLayoutRange: layouts.length > 0
        ? [Math.min(...layouts.map((l) => missFraction(l, tMs))), Math.max(...layouts.map((l) => missFraction(l, tMs)))]
        : null,
      ratio: modelQ > 0 ? measured / modelQ : null,
      verdict,
    };
  });
  // Infection curve in half-period steps.
  const periods = Math.floor(horizonSeconds / tg);
  const chainMean = expectedInfectedFraction(model, periods * n);
  const push = epidemicCurve("push", { members: live, loss: model.loss }, periods);
  const infection: InfectionPoint[] = [];
  for (let half = 0; half <= 2 * periods; half++) {
    const p = half / 2;
    const r = Math.min(chainMean.length - 1, Math.floor(p * n));
    const fullRounds = Math.floor(p);
    infection.push({
      periods: p,
      measured: pairs > 0 ? propagation.countAtMost(p * tg * 1000) / pairs : 0,
      chain: (chainMean[r]! * live - 1) / (live - 1),
      push: (push[fullRounds]! - 1) / (live - 1),
    });
  }
  const firstAt = (fraction: number, pick: (p: InfectionPoint) => number) =>
    infection.find((p) => pick(p) >= fraction)?.periods ?? null;
  const median = maxProp[Math.floor(total / 2)];
  const medianAll = median !== undefined && Number.isFinite(median) ? median / 1000 / tg : null;
  const chainAll = q.findIndex((v) => v < 0.5);
  const pushCurve = epidemicCurve("push", { members: live, loss: model.loss }, 1000);
  return {
    model,
    tGossipSeconds: tg,
    tFailSeconds,
    expectedObservers: observers,
    compares:
      "per-episode miss probability q(T) = 1 - P(k_T = N): the chance that one heartbeat has not reached every live member after T; the paper's P_mistake is the union bound N q(T)",
    rows,
    infection,
    roundsTo: {
      measured: { half: firstAt(0.5, (p) => p.measured), p99: firstAt(0.99, (p) => p.measured), all: medianAll },
      chain: {
        half: firstAt(0.5, (p) => p.chain),
        p99: firstAt(0.99, (p) => p.chain),
        all: chainAll >= 0 ? chainAll / n : null,
      },
      push: {
        half: firstAt(0.5, (p) => p.push),
        p99: firstAt(0.99, (p) => p.push),
        all: roundsToFraction(pushCurve, live, 1),
      },
    },
  };
}

/** Number of sorted values <= x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
