/**
 * Phi accrual failure decisions (Hayashibara et al. 2004) over the basic
 * detector's gossiped heartbeats: a member is failed when
 * phi = -log10(1 - F(t)) reaches the threshold, F the normal CDF of the
 * recent inter-arrival times of its heartbeat increases, t the time since
 * the last one. Until `minSamples` intervals are known, T_fail applies.
 *
 * The defaults here are the only ones: the scenario and the detector both
 * read them through {@linkcode resolvePhiOptions}.
 *
 * @module
 */

import { ConfigError } from "../core/errors.ts";
import { upperTailZ } from "../model/phi_accrual.ts";

/** Phi accrual settings; the period-relative defaults scale with T_gossip. */
export interface PhiOptions {
  /** Suspect at phi >= threshold. @default {8} (Cassandra's default) */
  readonly threshold?: number;
  /** Inter-arrival samples kept per member. @default {100} */
  readonly window?: number;
  /** Floor on the standard deviation (ms), against overconfident windows. @default {T_gossip} */
  readonly minStdDevMs?: number;
  /** Samples needed before phi decides. @default {5} */
  readonly minSamples?: number;
  /**
   * Added to the mean inter-arrival time (Akka's acceptable heartbeat
   * pause): gossiped heartbeats arrive in bursts with long gaps, which a
   * normal fit alone mistakes for failures. @default {3 T_gossip}
   */
  readonly acceptablePauseMs?: number;
}

/** The period-independent defaults of {@linkcode PhiOptions}. */
export const PHI_DEFAULTS = { threshold: 8, window: 100, minSamples: 5 } as const;

/** Fills every default of {@linkcode PhiOptions} for gossip period `tGossipMs` and checks the ranges. */
export function resolvePhiOptions(options: PhiOptions, tGossipMs: number): Required<PhiOptions> {
  const resolved = {
    threshold: options.threshold ?? PHI_DEFAULTS.threshold,
    window: options.window ?? PHI_DEFAULTS.window,
    minStdDevMs: options.minStdDevMs ?? tGossipMs,
    minSamples: options.minSamples ?? PHI_DEFAULTS.minSamples,
    acceptablePauseMs: options.acceptablePauseMs ?? 3 * tGossipMs,
  };
  if (!(resolved.threshold > 0)) {
    throw new ConfigError("threshold", `'threshold' must be > 0: current value is ${resolved.threshold}`);
  }
  if (!(resolved.window >= 2 && resolved.minSamples >= 2 && resolved.minSamples <= resolved.window)) {
    throw new ConfigError(
      "minSamples",
      `'minSamples' must be in [2, 'window' (${resolved.window})]: current value is ${resolved.minSamples}`,
    );
  }
  if (!(resolved.minStdDevMs > 0)) {
    throw new ConfigError("minStdDevMs", `'minStdDevMs' must be > 0: current value is ${resolved.minStdDevMs}`);
  }
  return resolved;
}

/** One member's recent inter-arrival times (a ring) with running sums. */
export interface PhiSamples {
  /** The ring of inter-arrival times (ms). */
  intervals: Float64Array;
  /** Slots of the ring in use. */
  filled: number;
  /** The slot the next time goes to. */
  next: number;
  /** Sum of the times in the ring. */
  sum: number;
  /** Sum of their squares. */
  sumSq: number;
}

/** The decision rule of one detector: when a member with these samples is failed. */
export class PhiAccrual {
  readonly #o: Required<PhiOptions>;
  readonly #z: number;

  /** Builds the rule from resolved options. */
  constructor(options: Required<PhiOptions>) {
    this.#o = options;
    // phi(t) >= threshold  <=>  t >= mean + z * sd, z the normal quantile with upper tail 10^-threshold.
    this.#z = upperTailZ(Math.pow(10, -options.threshold));
  }

  /** When the member is failed: by phi once it has enough samples, else `lastIncreaseMs + tFailMs`. */
  failAt(samples: PhiSamples | undefined, lastIncreaseMs: number, tFailMs: number): number {
    if (!samples || samples.filled < this.#o.minSamples) return lastIncreaseMs + tFailMs;
    const n = samples.filled;
    const mean = samples.sum / n;
    const sd = Math.max(this.#o.minStdDevMs, Math.sqrt(Math.max(0, samples.sumSq / n - mean * mean)));
    return lastIncreaseMs + mean + this.#o.acceptablePauseMs + this.#z * sd;
  }

  /** Adds one inter-arrival time; returns the (possibly new) samples. */
  record(samples: PhiSamples | undefined, interval: number): PhiSamples {
    const window = this.#o.window;
    const s = samples ?? { intervals: new Float64Array(window), filled: 0, next: 0, sum: 0, sumSq: 0 };
    if (s.filled === window) {
      const old = s.intervals[s.next]!;
      s.sum -= old;
      s.sumSq -= old * old;
    } else s.filled++;
    s.intervals[s.next] = interval;
    s.next = (s.next + 1) % window;
    s.sum += interval;
    s.sumSq += interval * interval;
    return s;
  }
}
