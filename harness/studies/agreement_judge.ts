/**
 * The agreement study's judgement (`agreement.ts` runs it): one side's
 * figures pooled over its seeds, each criterion's status and a row's
 * verdict, all pure functions of the runs' results.
 *
 * @module
 */

import { poissonRateIncreasePValue } from "../../lib/core/stats.ts";
import type { RunResult } from "../run/result.ts";

/** The criteria. */
export const AGREEMENT_CRITERIA = {
  /** Simulated / real detection median must lie within 1 ± this. */
  detection: 0.1,
  /** Two-sided exact Poisson p-value at or above which the mistake rates are consistent. */
  mistakesP: 0.01,
  /** Simulated / real bytes per member per second must lie within 1 ± this. */
  bandwidth: 0.02,
} as const;

/** What a criterion says: holds, fails beyond the noise, or fails within the noise of the seeds run. */
export type CriterionStatus = "yes" | "no" | "unresolved";

/** What the study keeps of one run. */
export interface RunFigures {
  /** The run's result. */
  readonly result: RunResult;
  /** Its false declarations (see the module documentation). */
  readonly declarations: number;
}

/** One side (real or simulated) of a row, pooled over its runs. */
export interface AgreementSide {
  /** Median of the pooled per-observer detection latencies (nominal ms), or null when none detected. */
  readonly detectionMedianMs: number | null;
  /** Each run's own median (nominal ms), by seed. */
  readonly perSeedMedianMs: readonly (number | null)[];
  /** Observers that detected the crash, summed over runs. */
  readonly detected: number;
  /** Live observers of the crash, summed over runs. */
  readonly observers: number;
  /** Mistakes (per observer), summed. */
  readonly mistakes: number;
  /** False declarations, summed. */
  readonly declarations: number;
  /** Pair-hours of exposure, summed. */
  readonly pairHours: number;
  /** Mean UDP payload per member per nominal second, averaged over runs. */
  readonly bytesPerSec: number;
  /** Each run's bytes per member per second, by seed. */
  readonly perSeedBytesPerSec: readonly number[];
  /** Every run faithful (noise floor) and complete. */
  readonly faithful: boolean;
  /** Why not, when not (prefixed by the seed). */
  readonly reasons: readonly string[];
  /** Real seconds the runs took. */
  readonly wallSeconds: number;
  /** Largest timer lateness p99 among the runs (real ms; 0 when simulated). */
  readonly latenessP99Ms: number;
}

/** One setting's verdict. */
export interface AgreementRow {
  /** Setting id. */
  readonly id: string;
  /** What it is. */
  readonly what: string;
  /** Seeds run. */
  readonly seeds: readonly number[];
  /** Real sockets. */
  readonly real: AgreementSide;
  /** Simulator. */
  readonly simulated: AgreementSide;
  /** Simulated / real detection median (null when either is missing). */
  readonly detectionRatio: number | null;
  /** Twice the standard error of the ratio's difference from 1 (null with one seed). */
  readonly detectionNoise: number | null;
  /** Whether the detection medians are within 10%. */
  readonly detection: CriterionStatus;
  /** Exact two-sided Poisson p-value of equal rates of false declarations (the criterion). */
  readonly mistakesP: number;
  /** The same test on the raw per-observer mistake counts (not independent events; shown only). */
  readonly rawMistakesP: number;
  /** Whether p >= 0.01. */
  readonly mistakes: CriterionStatus;
  /** Simulated / real bytes per member per second. */
  readonly bandwidthRatio: number | null;
  /** Twice the standard error of the ratio's difference from 1 (null with one seed). */
  readonly bandwidthNoise: number | null;
  /** Whether within 2%. */
  readonly bandwidth: CriterionStatus;
  /** agree, disagree (a criterion failed beyond the noise), or inconclusive (unresolved, or a real run not faithful). */
  readonly verdict: "agree" | "disagree" | "inconclusive";
  /** The criteria that did not hold, or why inconclusive. */
  readonly findings: readonly string[];
}

/** Exact two-sided test of equal Poisson rates: a events over exposure ea against b over eb (conditional binomial). */
export function poissonRatesPValue(a: number, ea: number, b: number, eb: number): number {
  if (a + b === 0) return 1;
  const upper = poissonRateIncreasePValue(a, ea, b, eb); // P(X >= a)
  const lower = poissonRateIncreasePValue(b, eb, a, ea); // P(X <= a)
  return Math.min(1, 2 * Math.min(upper, lower));
}

/** False declarations among mistakes (subject, time): a new one per subject after more than `windowMs`. */
export function countDeclarations(found: readonly { subject: number; atMs: number }[], windowMs: number): number {
  const last = new Map<number, number>();
  let count = 0;
  for (const m of [...found].sort((a, b) => a.atMs - b.atMs)) {
    const before = last.get(m.subject);
    if (before === undefined || m.atMs - before > windowMs) count++;
    last.set(m.subject, m.atMs);
  }
  return count;
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sample variance, or null with fewer than two values. */
function variance(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

/** One side of a row from its runs (in seed order). */
export function sideOf(seeds: readonly number[], runs: readonly RunFigures[]): AgreementSide {
  const latencies: number[] = [];
  const perSeed: (number | null)[] = [];
  const bytes: number[] = [];
  let detected = 0, observers = 0, count = 0, declarations = 0, pairHours = 0, wall = 0, lateness = 0;
  const reasons: string[] = [];
  runs.forEach(({ result: r, declarations: d }, i) => {
    const crash = r.crashes.find((c) => c.cause !== "failed");
    latencies.push(...(crash?.detection.latenciesMs ?? []));
    perSeed.push(crash?.detection.medianMs ?? null);
    detected += crash?.detection.detected ?? 0;
    observers += crash?.detection.observers ?? 0;
    count += r.mistakes.count;
    declarations += d;
    pairHours += r.mistakes.pairHours;
    bytes.push(r.bandwidth.meanBytesPerSec);
    wall += r.wallSeconds;
    lateness = Math.max(lateness, r.noise.latenessP99Ms);
    const why = [...r.noise.reasons, ...(r.complete ? [] : [`the run did not complete (${r.reason})`])];
    if (!crash) why.push("no crash to detect");
    reasons.push(...why.map((x) => `seed ${seeds[i]}: ${x}`));
  });
  return {
    detectionMedianMs: median(latencies.sort((a, b) => a - b)),
    perSeedMedianMs: perSeed,
    detected,
    observers,
    mistakes: count,
    declarations,
    pairHours,
    bytesPerSec: bytes.length > 0 ? bytes.reduce((a, b) => a + b, 0) / bytes.length : 0,
    perSeedBytesPerSec: bytes,
    faithful: reasons.length === 0 && runs.length > 0,
    reasons,
    wallSeconds: wall,
    latenessP99Ms: lateness,
  };
}

/** Twice the standard error of the difference of two means over per-seed values, relative to `scale`. */
function noiseOf(real: readonly number[], simulated: readonly number[], scale: number | null): number | null {
  const a = variance(real), b = variance(simulated);
  if (a === null || b === null || !scale) return null;
  return (2 * Math.sqrt(a / real.length + b / simulated.length)) / scale;
}

function status(ratio: number | null, bound: number, noise: number | null): CriterionStatus {
  if (ratio === null) return "no";
  const off = Math.abs(ratio - 1);
  if (off <= bound) return "yes";
  return noise !== null && off <= noise ? "unresolved" : "no";
}

/** Judges one setting from its real and simulated runs (pure). */
export function agreementRow(
  setting: { readonly id: string; readonly what: string },
  seeds: readonly number[],
  realRuns: readonly RunFigures[],
  simulatedRuns: readonly RunFigures[],
): AgreementRow {
  const real = sideOf(seeds, realRuns);
  const simulated = sideOf(seeds, simulatedRuns);
  const c = AGREEMENT_CRITERIA;
  const ratio = (s: number | null, r: number | null) => (s === null || r === null || r === 0 ? null : s / r);
  const detectionRatio = ratio(simulated.detectionMedianMs, real.detectionMedianMs);
  const finite = (xs: readonly (number | null)[]) => xs.filter((x): x is number => x !== null);
  const detectionNoise = noiseOf(
    finite(real.perSeedMedianMs),
    finite(simulated.perSeedMedianMs),
    real.detectionMedianMs,
  );
  const detection = status(detectionRatio, c.detection, detectionNoise);
  const mistakesP = poissonRatesPValue(real.declarations, real.pairHours, simulated.declarations, simulated.pairHours);
  const rawMistakesP = poissonRatesPValue(real.mistakes, real.pairHours, simulated.mistakes, simulated.pairHours);
  const bandwidthRatio = ratio(simulated.bytesPerSec, real.bytesPerSec);
  const bandwidthNoise = noiseOf(real.perSeedBytesPerSec, simulated.perSeedBytesPerSec, real.bytesPerSec);
  const bandwidth = status(bandwidthRatio, c.bandwidth, bandwidthNoise);
  const mistakesStatus: CriterionStatus = mistakesP >= c.mistakesP ? "yes" : "no";
  const findings: string[] = [];
  const noise = (x: number | null) => (x === null ? "" : `, noise ±${x.toFixed(3)}`);
  if (detection !== "yes") {
    findings.push(
      detectionRatio === null
        ? "detection: a side has no detection"
        : `detection ${detection}: simulated / real median ${detectionRatio.toFixed(3)} (bound 1 ± ${c.detection}${
          noise(detectionNoise)
        })`,
    );
  }
  if (mistakesStatus !== "yes") {
    findings.push(
      `mistakes no: ${real.declarations} real vs ${simulated.declarations} simulated false declarations, p = ${
        mistakesP.toPrecision(2)
      }`,
    );
  }
  if (bandwidth !== "yes") {
    findings.push(
      `bandwidth ${bandwidth}: simulated / real ${
        bandwidthRatio === null ? "—" : bandwidthRatio.toFixed(4)
      } (bound 1 ± ${c.bandwidth}${noise(bandwidthNoise)})`,
    );
  }
  const statuses = [detection, mistakesStatus, bandwidth];
  const sound = real.faithful && simulated.faithful;
  const verdict = !sound || (!statuses.includes("no") && statuses.includes("unresolved"))
    ? "inconclusive"
    : statuses.includes("no")
    ? "disagree"
    : "agree";
  return {
    id: setting.id,
    what: setting.what,
    seeds,
    real,
    simulated,
    detectionRatio,
    detectionNoise,
    detection,
    mistakesP,
    rawMistakesP,
    mistakes: mistakesStatus,
    bandwidthRatio,
    bandwidthNoise,
    bandwidth,
    verdict,
    findings: sound ? findings : [...real.reasons, ...simulated.reasons.map((r) => `simulated ${r}`), ...findings],
  };
}
