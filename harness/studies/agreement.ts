/**
 * `harness agreement`: does the simulator agree with real sockets? Each
 * setting (by default the paper's setting at 50 and 200 members, as the
 * bench's `paper-n50` and `paper-n200` cases run it, and SWIM with 200
 * members, 5% loss and one crash by proxy) runs on real sockets and in the
 * simulator with the same seeds, and every row says whether
 *
 * - detection agrees: the median of the per-observer detection latencies
 *   is within 10% (simulated / real in [0.9, 1.1]);
 * - mistakes agree: the two mistake counts over their pair-hours are
 *   consistent under an exact two-sided Poisson test (conditional
 *   binomial; consistent when p >= 0.01);
 * - bandwidth agrees: the mean UDP payload per member per nominal second is
 *   within 2%.
 *
 * One crash gives one median per run, and a median of one crash mixes the
 * protocol's own randomness (when the crash is first probed, which round a
 * heartbeat misses) with what the simulator gets wrong. So each setting
 * runs `seeds` times (seeds s, s+1, ...), one crash each, and detection is
 * compared on the pooled per-observer latencies of all its crashes: the
 * median of that distribution, real against simulated. The per-seed
 * medians are kept beside it. Mistakes and bytes are pooled the same way
 * (counts and pair-hours summed, bytes averaged over runs of equal length).
 *
 * A row whose real runs were not all faithful (noise floor) or complete is
 * `inconclusive`: the real side is then not the reference. Writes
 * `agreement.json` and `agreement.md`; each run's files under
 * `<setting>/seed-<s>/{real,simulated}`.
 *
 * @module
 */

import { poissonRateIncreasePValue } from "../../lib/core/stats.ts";
import { BENCH_SUITE } from "../../scenarios/bench_suite.ts";
import { writeJsonAtomic, writeTextAtomic } from "../os/files.ts";
import { type MachineFacts, machineFacts } from "../os/readings.ts";
import type { RunResult } from "../run/result.ts";
import { runScenario } from "../run/run.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/mod.ts";
import { simulateScenario } from "../sim/simulate.ts";

/** One setting the study runs. */
export interface AgreementSetting {
  /** Stable id (a directory name). */
  readonly id: string;
  /** What it is. */
  readonly what: string;
  /** The scenario, one crash, seeded and time-compressed; its seed is replaced per run. */
  readonly scenario: ScenarioInput;
}

const bench = (id: string): ScenarioInput => BENCH_SUITE.find((c) => c.id === id)!.scenario;

/** The settings issue 12 names: the paper's at 50 and 200 members (speed-up 10), SWIM at 200 (5% loss, speed-up 4). */
export const AGREEMENT_SETTINGS: readonly AgreementSetting[] = [
  {
    id: "paper-n50",
    what: "the paper's setting, 50 members, one crash (bench paper-n50)",
    scenario: bench("paper-n50"),
  },
  {
    id: "paper-n200",
    what: "the paper's setting, 200 members, one crash (bench paper-n200)",
    scenario: bench("paper-n200"),
  },
  {
    id: "swim-n200-loss5",
    what: "SWIM (T' 1 s, timeout 500 ms, k 3, mult 4), 200 members, 5% loss, one crash by proxy at 30 s, 90 s",
    scenario: {
      name: "agree-swim-n200",
      members: 200,
      detector: "swim",
      loss: 0.05,
      duration: 90_000,
      faults: [{ kind: "crash", at: 30_000, member: 1 }],
      speedup: 4,
      seed: 1,
    },
  },
];

/** The criteria. */
export const AGREEMENT_CRITERIA = {
  /** Simulated / real detection median must lie within 1 ± this. */
  detection: 0.1,
  /** Two-sided exact Poisson p-value at or above which the mistake rates are consistent. */
  mistakesP: 0.01,
  /** Simulated / real bytes per member per second must lie within 1 ± this. */
  bandwidth: 0.02,
} as const;

/** One side (real or simulated) of a row, pooled over its runs. */
export interface AgreementSide {
  /** Median of the pooled per-observer detection latencies (nominal ms), or null when none detected. */
  readonly detectionMedianMs: number | null;
  /** Each run's own median (nominal ms), by seed. */
  readonly perSeedMedianMs: readonly (number | null)[];
  /** Observers that detected the crash / observers, summed over runs. */
  readonly detected: number;
  /** Live observers of the crash, summed over runs. */
  readonly observers: number;
  /** Mistakes, summed. */
  readonly mistakes: number;
  /** Pair-hours of exposure, summed. */
  readonly pairHours: number;
  /** Mean UDP payload per member per nominal second, averaged over runs. */
  readonly bytesPerSec: number;
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
  /** Whether the detection medians are within 10%. */
  readonly detectionAgrees: boolean;
  /** Exact two-sided Poisson p-value of equal mistake rates. */
  readonly mistakesP: number;
  /** Whether p >= 0.01. */
  readonly mistakesAgree: boolean;
  /** Simulated / real bytes per member per second. */
  readonly bandwidthRatio: number | null;
  /** Whether within 2%. */
  readonly bandwidthAgrees: boolean;
  /** agree, disagree (some criterion failed on faithful runs) or inconclusive (a real run was not faithful). */
  readonly verdict: "agree" | "disagree" | "inconclusive";
  /** The criteria that failed, or why inconclusive. */
  readonly findings: readonly string[];
}

/** Contents of `agreement.json`. */
export interface AgreementReport {
  /** Layout version. */
  readonly schemaVersion: 1;
  /** When the study started. */
  readonly startedAt: string;
  /** Real seconds it took. */
  readonly wallSeconds: number;
  /** The machine. */
  readonly machine: MachineFacts;
  /** 1-minute load average before and after (the machine may be shared). */
  readonly loadAverage: { readonly before: number | null; readonly after: number | null };
  /** The criteria applied. */
  readonly criteria: typeof AGREEMENT_CRITERIA;
  /** How detection is compared. */
  readonly detectionMethod: string;
  /** One row per setting. */
  readonly rows: readonly AgreementRow[];
}

/** Exact two-sided test of equal Poisson rates: a events over exposure ea against b over eb (conditional binomial). */
export function poissonRatesPValue(a: number, ea: number, b: number, eb: number): number {
  if (a + b === 0) return 1;
  const upper = poissonRateIncreasePValue(a, ea, b, eb); // P(X >= a)
  const lower = poissonRateIncreasePValue(b, eb, a, ea); // P(X <= a)
  return Math.min(1, 2 * Math.min(upper, lower));
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One side of a row from its runs (in seed order). */
export function sideOf(seeds: readonly number[], runs: readonly RunResult[]): AgreementSide {
  const latencies: number[] = [];
  const perSeed: (number | null)[] = [];
  let detected = 0, observers = 0, mistakes = 0, pairHours = 0, bytes = 0, wall = 0, lateness = 0;
  const reasons: string[] = [];
  runs.forEach((r, i) => {
    const crash = r.crashes.find((c) => c.cause !== "failed");
    latencies.push(...(crash?.detection.latenciesMs ?? []));
    perSeed.push(crash?.detection.medianMs ?? null);
    detected += crash?.detection.detected ?? 0;
    observers += crash?.detection.observers ?? 0;
    mistakes += r.mistakes.count;
    pairHours += r.mistakes.pairHours;
    bytes += r.bandwidth.meanBytesPerSec;
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
    mistakes,
    pairHours,
    bytesPerSec: runs.length > 0 ? bytes / runs.length : 0,
    faithful: reasons.length === 0 && runs.length > 0,
    reasons,
    wallSeconds: wall,
    latenessP99Ms: lateness,
  };
}

/** Judges one setting from its real and simulated runs (pure). */
export function agreementRow(
  setting: Pick<AgreementSetting, "id" | "what">,
  seeds: readonly number[],
  realRuns: readonly RunResult[],
  simulatedRuns: readonly RunResult[],
): AgreementRow {
  const real = sideOf(seeds, realRuns);
  const simulated = sideOf(seeds, simulatedRuns);
  const c = AGREEMENT_CRITERIA;
  const ratio = (s: number | null, r: number | null) => (s === null || r === null || r === 0 ? null : s / r);
  const detectionRatio = ratio(simulated.detectionMedianMs, real.detectionMedianMs);
  const detectionAgrees = detectionRatio !== null && Math.abs(detectionRatio - 1) <= c.detection;
  const mistakesP = poissonRatesPValue(real.mistakes, real.pairHours, simulated.mistakes, simulated.pairHours);
  const mistakesAgree = mistakesP >= c.mistakesP;
  const bandwidthRatio = ratio(simulated.bytesPerSec, real.bytesPerSec);
  const bandwidthAgrees = bandwidthRatio !== null && Math.abs(bandwidthRatio - 1) <= c.bandwidth;
  const findings: string[] = [];
  if (!detectionAgrees) {
    findings.push(
      detectionRatio === null
        ? "detection: a side has no detection"
        : `detection: simulated / real median ${detectionRatio.toFixed(3)} (outside 1 ± ${c.detection})`,
    );
  }
  if (!mistakesAgree) {
    findings.push(
      `mistakes: ${real.mistakes} real vs ${simulated.mistakes} simulated, p = ${mistakesP.toPrecision(2)}`,
    );
  }
  if (!bandwidthAgrees) {
    findings.push(
      `bandwidth: simulated / real ${
        bandwidthRatio === null ? "—" : bandwidthRatio.toFixed(4)
      } (outside 1 ± ${c.bandwidth})`,
    );
  }
  const sound = real.faithful && simulated.faithful;
  const verdict = !sound ? "inconclusive" : findings.length === 0 ? "agree" : "disagree";
  return {
    id: setting.id,
    what: setting.what,
    seeds,
    real,
    simulated,
    detectionRatio,
    detectionAgrees,
    mistakesP,
    mistakesAgree,
    bandwidthRatio,
    bandwidthAgrees,
    verdict,
    findings: sound ? findings : [...real.reasons, ...simulated.reasons.map((r) => `simulated ${r}`), ...findings],
  };
}

/** Options of {@linkcode runAgreement}. */
export interface AgreementOptions {
  /** Where agreement.json, agreement.md and the runs go. */
  readonly outDir: string;
  /** Recorded with every result. */
  readonly harnessVersion: string;
  /** The settings. @default {AGREEMENT_SETTINGS} */
  readonly settings?: readonly AgreementSetting[];
  /** Runs per setting and side (seeds seed, seed+1, ...). @default {3} */
  readonly seeds?: number;
  /** First seed. @default {1} */
  readonly seed?: number;
  /** Aborting stops after the run in progress; the rows so far are written. */
  readonly signal?: AbortSignal;
  /** Called before each run. */
  readonly onRun?: (setting: string, seed: number, mode: RunResult["mode"]) => void;
}

const DETECTION_METHOD =
  "median of the per-observer detection latencies pooled over the seeds' crashes (one crash per run), " +
  "real against simulated with the same seeds; per-seed medians beside it";

function loadAverage(): number | null {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return null;
  }
}

/** Runs every setting on real sockets and simulated; writes agreement.json and agreement.md. */
export async function runAgreement(options: AgreementOptions): Promise<AgreementReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const before = loadAverage();
  const first = options.seed ?? 1;
  const seeds = Array.from({ length: options.seeds ?? 3 }, (_, i) => (first + i) >>> 0);
  const rows: AgreementRow[] = [];
  for (const setting of options.settings ?? AGREEMENT_SETTINGS) {
    if (options.signal?.aborted) break;
    const real: RunResult[] = [];
    const simulated: RunResult[] = [];
    for (const seed of seeds) {
      if (options.signal?.aborted) break;
      const scenario = resolveScenario({ ...setting.scenario, seed });
      const dir = `${options.outDir}/${setting.id}/seed-${seed}`;
      const common = { scenario, harnessVersion: options.harnessVersion };
      options.onRun?.(setting.id, seed, "real");
      real.push(await runScenario({ ...common, outDir: `${dir}/real`, ...signalOf(options) }));
      options.onRun?.(setting.id, seed, "simulated");
      simulated.push(await simulateScenario({ ...common, outDir: `${dir}/simulated`, ...signalOf(options) }));
    }
    rows.push(agreementRow(setting, seeds.slice(0, real.length), real, simulated));
  }
  const report: AgreementReport = {
    schemaVersion: 1,
    startedAt,
    wallSeconds: (performance.now() - started) / 1000,
    machine: machineFacts(),
    loadAverage: { before, after: loadAverage() },
    criteria: AGREEMENT_CRITERIA,
    detectionMethod: DETECTION_METHOD,
    rows,
  };
  await writeJsonAtomic(`${options.outDir}/agreement.json`, report);
  await writeTextAtomic(`${options.outDir}/agreement.md`, agreementMarkdown(report));
  return report;
}

function signalOf(options: AgreementOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

/** `agreement.md`: one row per setting, every criterion and the verdict, then the conditions. */
export function agreementMarkdown(report: AgreementReport): string {
  const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
  const r3 = (x: number | null) => (x === null ? "—" : x.toFixed(3));
  const yes = (ok: boolean) => (ok ? "yes" : "NO");
  const c = report.criteria;
  const lines = [
    "# Simulation against real sockets",
    "",
    `Detection: ${report.detectionMethod}; agrees within ±${c.detection * 100}%. Mistakes: exact two-sided ` +
    `Poisson test of equal rates per pair-hour, consistent when p ≥ ${c.mistakesP}. Bandwidth: mean UDP payload ` +
    `per member per nominal second, agrees within ±${c.bandwidth * 100}%.`,
    "",
    "| setting | seeds | detection real | detection simulated | ratio | within 10% | mistakes real / simulated | pair-hours | p | consistent | B/s real | B/s simulated | ratio | within 2% | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...report.rows.map((r) =>
      `| ${r.id} | ${r.seeds.join(",")} | ${s(r.real.detectionMedianMs)} | ${s(r.simulated.detectionMedianMs)} | ${
        r3(r.detectionRatio)
      } | ${yes(r.detectionAgrees)} | ${r.real.mistakes} / ${r.simulated.mistakes} | ${r.real.pairHours.toFixed(1)} | ${
        r.mistakesP.toPrecision(2)
      } | ${yes(r.mistakesAgree)} | ${r.real.bytesPerSec.toFixed(2)} | ${r.simulated.bytesPerSec.toFixed(2)} | ${
        r.bandwidthRatio === null ? "—" : r.bandwidthRatio.toFixed(4)
      } | ${yes(r.bandwidthAgrees)} | ${r.verdict} |`
    ),
    "",
    "## Per seed and conditions",
    "",
    "| setting | per-seed median real | per-seed median simulated | detected real | detected simulated | real wall (s) | simulated wall (s) | real lateness p99 (ms) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...report.rows.map((r) =>
      `| ${r.id} | ${r.real.perSeedMedianMs.map(s).join(", ")} | ${
        r.simulated.perSeedMedianMs.map(s).join(", ")
      } | ${r.real.detected}/${r.real.observers} | ${r.simulated.detected}/${r.simulated.observers} | ${
        r.real.wallSeconds.toFixed(1)
      } | ${r.simulated.wallSeconds.toFixed(1)} | ${r.real.latenessP99Ms.toFixed(2)} |`
    ),
    "",
    `Machine: ${report.machine.cpus} cores (${report.machine.cpuModel}), load average ${
      report.loadAverage.before ?? "?"
    } before and ${report.loadAverage.after ?? "?"} after; ${report.wallSeconds.toFixed(0)} s in all.`,
    "",
    ...report.rows.filter((r) => r.findings.length > 0).map((r) => `- ${r.id}: ${r.findings.join("; ")}`),
    "",
  ];
  return lines.join("\n");
}
