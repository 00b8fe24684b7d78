/**
 * The infection curve of a run that measured propagation episodes: how
 * fast a heartbeat reached the live members, in gossip periods, beside the
 * mean-field epidemic of the same dissemination style.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { epidemicCurve, roundsToFraction } from "../../lib/model/epidemic.ts";
import type { RunResult } from "../run/result.ts";

/** Infection curve of one variant (scenarios that measure episodes). */
export interface InfectionSummary {
  /** Gossip periods until half / 99% of live observers held a heartbeat, on average. */
  readonly halfPeriods: number | null;
  /** 99%. */
  readonly p99Periods: number | null;
  /** Median periods until an episode reached every live observer. */
  readonly allPeriods: number | null;
  /** The mean-field epidemic's rounds to half and to 99%, for push, pull and push-pull. */
  readonly model: { readonly halfPeriods: number | null; readonly p99Periods: number | null } | null;
  /** Mean fraction holding a heartbeat, in quarter-period steps. */
  readonly curve: readonly { readonly periods: number; readonly fraction: number }[];
}

/** The infection curve of a run that measured episodes (null otherwise). */
export function infectionOf(r: RunResult): InfectionSummary | null {
  const e = r.episodes;
  if (!e || e.pairs === 0) return null;
  const tg = r.config.tGossipMs;
  const propagation = new Histogram();
  propagation.merge(e.propagation);
  const curve: { periods: number; fraction: number }[] = [];
  const steps = Math.floor((4 * e.horizonMs) / tg);
  for (let q = 0; q <= steps; q++) {
    curve.push({ periods: q / 4, fraction: propagation.countAtMost((q / 4) * tg) / e.pairs });
  }
  const first = (f: number) => curve.find((p) => p.fraction >= f)?.periods ?? null;
  const full = new Histogram();
  full.merge(e.fullPropagation);
  const style = r.config.dissemination ?? "push";
  const live = r.config.n - r.config.failed;
  let model: InfectionSummary["model"] = null;
  if (style !== "digest" && r.config.topology == null) {
    const c = epidemicCurve(style as "push" | "pull" | "push-pull", { members: live, loss: r.config.loss }, 200);
    const to = (f: number) => roundsToFraction(c, live, f);
    model = { halfPeriods: to(0.5), p99Periods: to(0.99) };
  }
  return {
    halfPeriods: first(0.5),
    p99Periods: first(0.99),
    allPeriods: full.count > 0 ? full.quantile(0.5) / tg : null,
    model,
    curve,
  };
}
