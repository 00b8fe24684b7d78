/**
 * Delay with jitter, a distribution and correlation (netem `delay D J C
 * distribution X`). The added latency is `ms + jitterMs * z`, z drawn from
 * the distribution (uniform on [-1, 1], standard normal, or a Pareto with
 * shape 3 shifted to mean 0, a heavy right tail), correlated with the
 * link's previous z as `z = c * previous + (1 - c) * fresh`, and clamped
 * at 0.
 *
 * @module
 */

import type { Prng } from "../../../lib/core/prng.ts";
import {
  type Fate,
  type Impairment,
  ImpairmentError,
  nonNegativeField,
  onlyFields,
  type Packet,
  probabilityField,
} from "./impairment.ts";

/** Delay distributions. */
export const DELAY_DISTRIBUTIONS = ["uniform", "normal", "pareto"] as const;
/** One of {@linkcode DELAY_DISTRIBUTIONS}. */
export type DelayDistribution = typeof DELAY_DISTRIBUTIONS[number];

/** Spec of {@linkcode DelayImpairment}. */
export interface DelaySpec {
  /** The registry name. */
  readonly kind: "delay";
  /** Mean added latency (real ms). */
  readonly ms: number;
  /** Spread around it (real ms). @default {0} */
  readonly jitterMs?: number;
  /** Shape of the spread. @default {"uniform"} */
  readonly distribution?: DelayDistribution;
  /** Correlation with the link's previous draw. @default {0} */
  readonly correlation?: number;
}

/** Draws z from a distribution with mean 0 (uniform on [-1, 1], N(0,1), Pareto(3) - 1.5). */
export function drawSpread(distribution: DelayDistribution, rng: Prng): number {
  switch (distribution) {
    case "uniform":
      return 2 * rng() - 1;
    case "normal": {
      // Box-Muller.
      const u = 1 - rng();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
    }
    case "pareto": {
      // Pareto(shape 3, scale 1): mean 1.5, standard deviation ~0.87.
      return Math.pow(1 - rng(), -1 / 3) - 1.5;
    }
  }
}

/** Delay with jitter. */
export class DelayImpairment implements Impairment {
  readonly kind = "delay";
  readonly #ms: number;
  readonly #jitter: number;
  readonly #distribution: DelayDistribution;
  readonly #c: number;
  readonly #last = new Map<number, number>();

  /** Validates and builds. */
  constructor(spec: DelaySpec) {
    onlyFields(this.kind, spec as unknown as Record<string, unknown>, [
      "ms",
      "jitterMs",
      "distribution",
      "correlation",
    ]);
    this.#ms = nonNegativeField(this.kind, "ms", spec.ms);
    this.#jitter = nonNegativeField(this.kind, "jitterMs", spec.jitterMs, 0);
    const d = spec.distribution ?? "uniform";
    if (!DELAY_DISTRIBUTIONS.includes(d)) {
      throw new ImpairmentError(
        "delay.distribution",
        `'delay.distribution' must be one of ${DELAY_DISTRIBUTIONS.join(", ")}: current value is ${JSON.stringify(d)}`,
      );
    }
    this.#distribution = d;
    this.#c = probabilityField(this.kind, "correlation", spec.correlation, 0);
  }

  apply(packet: Packet, fate: Fate, rng: Prng): void {
    let z = this.#jitter > 0 ? drawSpread(this.#distribution, rng) : 0;
    if (this.#c > 0) {
      const previous = this.#last.get(packet.link);
      if (previous !== undefined) z = this.#c * previous + (1 - this.#c) * z;
      this.#last.set(packet.link, z);
    }
    fate.delayMs += Math.max(0, this.#ms + this.#jitter * z);
  }
}
