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
 *   binomial; consistent when p >= 0.01). The test assumes independent
 *   events, and one false declaration reaches many observers (SWIM
 *   disseminates a death to all 199 others), so it counts false
 *   declarations: a subject's mistakes, a new one whenever more than one
 *   silence window (the scenario's `silenceMs`) passed since the previous
 *   mistake about it. The test on the raw per-observer counts is shown
 *   beside it;
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
 * A bound can be finer than the runs resolve: SWIM's bytes at 5% loss vary
 * by about 5% from seed to seed (suspicion and refutation storms). With two
 * seeds or more, a ratio outside its bound but within twice the standard
 * error of the difference of the two means (from the per-seed spread) is
 * `unresolved`, not a disagreement: more seeds would tell.
 *
 * A row is `agree` when every criterion holds, `disagree` when one fails
 * beyond the noise, `inconclusive` when one is unresolved or a real run was
 * not faithful (noise floor) or complete (the real side is then not the
 * reference). Writes `agreement.json` and `agreement.md`; each run's files
 * under `<setting>/seed-<s>/{real,simulated}`; `recomposeAgreement` judges
 * saved runs again.
 *
 * @module
 */

import { BENCH_SUITE } from "../../scenarios/bench_suite.ts";
import { recordOf } from "../journal/analyze.ts";
import { readJournal } from "../journal/reader.ts";
import { mistakes } from "../metrics/mistakes.ts";
import { writeJsonAtomic, writeTextAtomic } from "../os/files.ts";
import { type MachineFacts, machineFacts } from "../os/readings.ts";
import type { RunResult } from "../run/result.ts";
import { runScenario } from "../run/run.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/mod.ts";
import { simulateScenario } from "../sim/simulate.ts";
import {
  AGREEMENT_CRITERIA,
  type AgreementRow,
  agreementRow,
  countDeclarations,
  type RunFigures,
} from "./agreement_judge.ts";
import { agreementMarkdown } from "./agreement_render.ts";

export * from "./agreement_judge.ts";

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
  /** How detection and mistakes are compared. */
  readonly method: string;
  /** One row per setting. */
  readonly rows: readonly AgreementRow[];
}

/** A run's figures: its result, and its false declarations from its journal. */
export async function runFigures(dir: string, result: RunResult): Promise<RunFigures> {
  const record = recordOf(await readJournal(`${dir}/events.jsonl`));
  const found: { subject: number; atMs: number }[] = [];
  mistakes(record, (_observer, subject, atMs) => found.push({ subject, atMs }));
  return { result, declarations: countDeclarations(found, record.silenceMs) };
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

const METHOD =
  "detection: median of the per-observer detection latencies pooled over the seeds' crashes (one crash per run), " +
  "real against simulated with the same seeds; mistakes: exact two-sided Poisson test on false declarations " +
  "(a subject's mistakes, a new one after more than one silence window), the raw per-observer test beside it; " +
  "bytes: mean payload per member per nominal second over the seeds; a ratio outside its bound but within twice " +
  "the standard error of the difference (per-seed spread, two seeds or more) is unresolved";

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
  const signal = options.signal ? { signal: options.signal } : {};
  const rows: AgreementRow[] = [];
  for (const setting of options.settings ?? AGREEMENT_SETTINGS) {
    if (options.signal?.aborted) break;
    const real: RunFigures[] = [];
    const simulated: RunFigures[] = [];
    for (const seed of seeds) {
      if (options.signal?.aborted) break;
      const scenario = resolveScenario({ ...setting.scenario, seed });
      const dir = `${options.outDir}/${setting.id}/seed-${seed}`;
      const common = { scenario, harnessVersion: options.harnessVersion, ...signal };
      options.onRun?.(setting.id, seed, "real");
      real.push(await runFigures(`${dir}/real`, await runScenario({ ...common, outDir: `${dir}/real` })));
      options.onRun?.(setting.id, seed, "simulated");
      const sim = await simulateScenario({ ...common, outDir: `${dir}/simulated` });
      simulated.push(await runFigures(`${dir}/simulated`, sim));
    }
    rows.push(agreementRow(setting, seeds.slice(0, real.length), real, simulated));
  }
  return await writeReport(options.outDir, {
    schemaVersion: 1,
    startedAt,
    wallSeconds: (performance.now() - started) / 1000,
    machine: machineFacts(),
    loadAverage: { before, after: loadAverage() },
    criteria: AGREEMENT_CRITERIA,
    method: METHOD,
    rows,
  });
}

async function writeReport(dir: string, report: AgreementReport): Promise<AgreementReport> {
  await writeJsonAtomic(`${dir}/agreement.json`, report);
  await writeTextAtomic(`${dir}/agreement.md`, agreementMarkdown(report));
  return report;
}

/** Judges the runs saved in `dir` again (rows in `agreement.json` order) and rewrites both files. */
export async function recomposeAgreement(dir: string): Promise<AgreementReport> {
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/agreement.json`)) as AgreementReport;
  const rows: AgreementRow[] = [];
  for (const row of saved.rows) {
    const load = (seed: number, side: string) =>
      Deno.readTextFile(`${dir}/${row.id}/seed-${seed}/${side}/result.json`)
        .then((text) => runFigures(`${dir}/${row.id}/seed-${seed}/${side}`, JSON.parse(text) as RunResult));
    const real = await Promise.all(row.seeds.map((s) => load(s, "real")));
    const simulated = await Promise.all(row.seeds.map((s) => load(s, "simulated")));
    rows.push(agreementRow(row, row.seeds, real, simulated));
  }
  return await writeReport(dir, { ...saved, criteria: AGREEMENT_CRITERIA, method: METHOD, rows });
}
