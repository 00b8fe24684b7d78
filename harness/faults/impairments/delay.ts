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

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

/** Delay distributions. */
export const DELAY_DISTRIBUTIONS = ["uniform", "normal", "pareto"] as const;
/** One of {@linkcode DELAY_DISTRIBUTIONS}. */
export type DelayDistribution = typeof DELAY_DISTRIBUTIONS[number];

/** Spec of {@linkcode DelayImpairment}: `{ kind: "delay", ms, jitterMs?, distribution?, correlation? }`. */
export const delaySpecSchema = z.strictObject({
  kind: z.literal("delay"),
  /** Mean added latency (real ms). */
  ms: z.number().min(0).finite(),
  /** Spread around it (real ms). @default {0} */
  jitterMs: z.number().min(0).finite().optional(),
  /** Shape of the spread. @default {"uniform"} */
  distribution: z.enum(DELAY_DISTRIBUTIONS).optional(),
  /** Correlation with the link's previous draw. @default {0} */
  correlation: probabilitySchema().optional(),
});
/** Spec of {@linkcode DelayImpairment}. */
export type DelaySpec = z.input<typeof delaySpecSchema>;

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

/** Per-link state: the link's previous draw (for correlation). */
interface DrawLink {
  last: number | undefined;
}

/** Delay with jitter. */
export class DelayImpairment implements Impairment<DrawLink> {
  readonly kind = "delay";
  readonly #ms: number;
  readonly #jitter: number;
  readonly #distribution: DelayDistribution;
  readonly #c: number;

  /** Builds from a validated spec. */
  constructor(spec: DelaySpec) {
    this.#ms = spec.ms;
    this.#jitter = spec.jitterMs ?? 0;
    this.#distribution = spec.distribution ?? "uniform";
    this.#c = spec.correlation ?? 0;
  }

  linkState(): DrawLink {
    return { last: undefined };
  }

  apply(_packet: Packet, fate: Fate, rng: Prng, link: DrawLink): void {
    let z = this.#jitter > 0 ? drawSpread(this.#distribution, rng) : 0;
    if (this.#c > 0) {
      if (link.last !== undefined) z = this.#c * link.last + (1 - this.#c) * z;
      link.last = z;
    }
    fate.delayMs += Math.max(0, this.#ms + this.#jitter * z);
  }
}
