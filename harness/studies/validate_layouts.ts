/**
 * `harness validate --simulate --layouts L`: the episodes spread over L
 * simulated runs with seeds s, s+1, ..., s+L-1, pooled into one
 * `validation.json`.
 *
 * Every member gossips on a fixed schedule, so one run has one random
 * phase layout that all its episodes share, and the tail of q(T) depends on
 * it: the binomial interval of one run is conditional on its layout. L
 * layouts of E/L episodes cost what one run of E costs (the simulator's
 * time goes into episodes, not into starting runs), and their pooled q is
 * the unconditional one. The table's layout range then shows the spread of
 * the measured q across these layouts (each layout's own fraction), where
 * a real run shows the toy simulation's.
 *
 * Each layout's run (events.jsonl, result.json, episodes.csv) is in
 * `DIR/layout-<i>`; `validation.json` is pooled: its config is the first
 * layout's, its mistakes and wall time are summed, it is faithful only when
 * every layout is.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { poissonInterval } from "../../lib/core/stats.ts";
import type { EpisodeRecord } from "../metrics/episodes.ts";
import { writeJsonAtomic } from "../os/files.ts";
import type { RunResult } from "../run/result.ts";
import { simulateScenario } from "../sim/simulate.ts";
import { type ValidationFile, type ValidationOptions, validationScenario } from "./validate_run.ts";
import { validate } from "./validation.ts";

/** The directory of layout `i` (from 1) of a validation in `dir`. */
export function layoutDir(dir: string, i: number): string {
  return `${dir}/layout-${i}`;
}

/**
 * Runs `layouts` simulated validations (seeds seed, seed+1, ...) of
 * ceil(episodes / layouts) episodes each and writes the pooled
 * `validation.json`. Resolves to it and the first layout's result.
 */
export async function runLayouts(
  options: ValidationOptions,
  layouts: number,
): Promise<{ file: ValidationFile; result: RunResult }> {
  const seed = options.seed ?? 1;
  const episodes = Math.ceil((options.episodes ?? 20_000) / layouts);
  const results: RunResult[] = [];
  const records: EpisodeRecord[][] = [];
  for (let i = 0; i < layouts; i++) {
    if (options.signal?.aborted) break;
    const sink: EpisodeRecord[] = [];
    results.push(
      await simulateScenario({
        scenario: validationScenario({ ...options, seed: (seed + i) >>> 0, episodes }),
        outDir: layoutDir(options.outDir, i + 1),
        episodeSink: sink,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.harnessVersion ? { harnessVersion: options.harnessVersion } : {}),
      }),
    );
    records.push(sink);
  }
  const file = pooledValidation(results, records);
  await writeJsonAtomic(`${options.outDir}/validation.json`, file);
  return { file, result: results[0]! };
}

/** The pooled validation of several layouts' results and episodes (in layout order). */
export function pooledValidation(results: readonly RunResult[], layouts: readonly EpisodeRecord[][]): ValidationFile {
  const first = results[0]!;
  const c = first.config;
  const summary = first.episodes;
  if (!summary) throw new RangeError("the run did not measure episodes ('measureEpisodes' was off)");
  const reasons: string[] = [];
  results.forEach((r, i) => {
    const why = [...r.noise.reasons];
    if (!r.complete) why.push(r.interrupted ? "the run was interrupted" : "the run failed");
    reasons.push(...why.map((x) => (results.length > 1 ? `layout ${i + 1}: ${x}` : x)));
  });
  const propagation = new Histogram();
  for (const r of results) if (r.episodes) propagation.merge(r.episodes.propagation);
  const episodes: EpisodeRecord[] = [];
  for (const list of layouts) for (const e of list) episodes.push(e);
  const v = validate({
    model: { members: c.n, failed: c.failed, loss: c.loss },
    tGossipSeconds: c.tGossipMs / 1000,
    tFailSeconds: c.tFailMs / 1000,
    horizonSeconds: summary.horizonMs / 1000,
    episodes,
    expectedObservers: summary.expectedObservers,
    propagation: propagation.toJSON(),
    faithful: reasons.length === 0,
    // Each layout's own fraction: the layout range column.
    simulated: { layouts, expectedObservers: summary.expectedObservers },
  });
  return {
    schemaVersion: 1,
    mode: first.mode ?? "real",
    layouts: results.map((r) => r.config.seed),
    conclusive: reasons.length === 0,
    inconclusiveBecause: reasons,
    config: c,
    directMistakes: pooledMistakes(results.map((r) => r.mistakes)),
    wallSeconds: results.reduce((a, r) => a + r.wallSeconds, 0),
    faithful: results.every((r) => r.faithful),
    ...v,
  };
}

/** Mistakes of several runs as one: counts and exposures summed, rates and intervals recomputed. */
function pooledMistakes(all: readonly RunResult["mistakes"][]): RunResult["mistakes"] {
  const sum = (pick: (m: RunResult["mistakes"]) => number) => all.reduce((a, m) => a + pick(m), 0);
  const count = sum((m) => m.count);
  const pairHours = sum((m) => m.pairHours);
  const memberHours = sum((m) => m.memberHours);
  const corrected = sum((m) => m.corrected);
  const [lo, hi] = poissonInterval(count);
  const timed = all.filter((m) => m.meanDurationMs !== null);
  return {
    count,
    pairHours,
    perPairHour: pairHours > 0 ? count / pairHours : 0,
    ci95: pairHours > 0 ? [lo / pairHours, hi / pairHours] : [0, Infinity],
    ciMethod: "poisson-exact",
    memberHours,
    perMemberHour: memberHours > 0 ? count / memberHours : 0,
    perMemberHourCi95: memberHours > 0 ? [lo / memberHours, hi / memberHours] : [0, Infinity],
    corrected,
    meanDurationMs: corrected > 0
      ? timed.reduce((a, m) => a + m.meanDurationMs! * m.corrected, 0) / Math.max(1, corrected)
      : null,
    queryAccuracy: pairHours > 0 ? all.reduce((a, m) => a + m.queryAccuracy * m.pairHours, 0) / pairHours : 1,
    isolatedObserverDetections: sum((m) => m.isolatedObserverDetections),
    faultDetections: sum((m) => m.faultDetections),
    partitionDetections: sum((m) => m.partitionDetections),
    unknownSubjectDetections: sum((m) => m.unknownSubjectDetections),
    bySlowness: {
      aboutSlow: sum((m) => m.bySlowness?.aboutSlow ?? 0),
      bySlowObserver: sum((m) => m.bySlowness?.bySlowObserver ?? 0),
      amongHealthy: sum((m) => m.bySlowness?.amongHealthy ?? m.count),
    },
  };
}
