/**
 * The runs that measure the claims: a fixed set of validations, crash runs
 * and push / pull runs, then `claims.md` and `claims.json` composed from
 * them; or the same report recomposed from a previous run's files.
 *
 * @module
 */

import type { RunProgress } from "../run/run.ts";
import { runScenario } from "../run/run.ts";
import type { RunResult } from "../run/result.ts";
import { writeJsonAtomic, writeTextAtomic } from "../os/files.ts";
import { resolveScenario } from "../scenario/mod.ts";
import {
  type ClaimsReport,
  composeClaims,
  CRASH_SIZES,
  type CrashRunDetection,
  type StyleInfection,
} from "./claims.ts";
import { renderClaimsMarkdown } from "./claims_markdown.ts";
import { infectionOf } from "./infection.ts";
import { runValidation, type ValidationFile } from "./validate_run.ts";

/** Options of {@linkcode runClaims}. */
export interface ClaimsOptions {
  /** Output directory (each run gets a subdirectory). */
  readonly outDir: string;
  /** Multiplies every run's episode count (0.1 for a quick look). @default {1} */
  readonly scale?: number;
  /** Time compression of every run. @default {10} */
  readonly speedup?: number;
  /** Seed. @default {1} */
  readonly seed?: number;
  /** Called with each run's name before it starts, and its progress. */
  readonly onRun?: (name: string, index: number, total: number) => void;
  /** Progress of the current run. */
  readonly onProgress?: (p: RunProgress) => void;
  /** Aborting stops after the current run; claims not yet measured say so. */
  readonly signal?: AbortSignal;
  /** Recorded in results. */
  readonly harnessVersion?: string;
}

/** One validation run the claims read (`runValidation` settings). */
interface ValidationSpec {
  readonly name: string;
  readonly members: number;
  readonly failed: number;
  readonly loss: number;
  readonly episodes: number;
}

/** The validation runs, by directory name. */
const VALIDATIONS: readonly ValidationSpec[] = [
  { name: "v-n25", members: 25, failed: 1, loss: 0, episodes: 6000 },
  { name: "v-n50", members: 50, failed: 1, loss: 0, episodes: 20000 },
  { name: "v-n50-loss10", members: 50, failed: 1, loss: 0.1, episodes: 20000 },
  { name: "v-n50-loss50", members: 50, failed: 1, loss: 0.5, episodes: 8000 },
  { name: "v-n50-f25", members: 50, failed: 25, loss: 0, episodes: 8000 },
  { name: "v-n100", members: 100, failed: 1, loss: 0, episodes: 8000 },
  { name: "v-n200", members: 200, failed: 1, loss: 0, episodes: 5000 },
];

/** The push and pull runs (same group, same seed) for the second-half claim. */
const STYLE_RUNS = [{ name: "push-n200", style: "push" }, { name: "pull-n200", style: "pull" }] as const;

/** A style run's infection curve and whether it was faithful and complete. */
function styleInfection(r: RunResult): StyleInfection {
  return { infection: infectionOf(r), faithful: r.faithful && r.complete };
}

/** Writes `claims.json` and `claims.md` into `dir`. */
async function writeClaims(dir: string, report: ClaimsReport): Promise<void> {
  await writeJsonAtomic(`${dir}/claims.json`, report);
  await writeTextAtomic(`${dir}/claims.md`, renderClaimsMarkdown(report));
}

/** Runs every measurement and writes claims.md and claims.json. */
export async function runClaims(options: ClaimsOptions): Promise<ClaimsReport> {
  const speedup = options.speedup ?? 10;
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 1;
  const startedAt = new Date().toISOString();
  const started = performance.now();
  await Deno.mkdir(options.outDir, { recursive: true });
  const total = VALIDATIONS.length + CRASH_SIZES.length + STYLE_RUNS.length;
  let index = 0;
  // What every run is handed from the options.
  const passOn = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.harnessVersion ? { harnessVersion: options.harnessVersion } : {}),
  };
  const v = new Map<string, ValidationFile>();
  for (const spec of VALIDATIONS) {
    if (options.signal?.aborted) break;
    options.onRun?.(spec.name, index++, total);
    const { file } = await runValidation({
      members: spec.members,
      failed: spec.failed,
      loss: spec.loss,
      episodes: Math.max(200, Math.round(spec.episodes * scale)),
      speedup,
      seed,
      outDir: `${options.outDir}/${spec.name}`,
      ...passOn,
    });
    v.set(spec.name, file);
  }
  const detection = new Map<number, CrashRunDetection>();
  for (const n of CRASH_SIZES) {
    if (options.signal?.aborted) break;
    options.onRun?.(`crash-n${n}`, index++, total);
    const scenario = resolveScenario({
      name: `crash-n${n}`,
      members: n,
      duration: { tGossip: 25, tFail: 1 },
      crashes: [{ member: 1, at: { tGossip: 8 } }],
      speedup,
      seed,
    });
    const result = await runScenario({
      scenario,
      outDir: `${options.outDir}/crash-n${n}`,
      ...passOn,
    });
    detection.set(n, {
      medianMs: result.crashes[0]?.detection.medianMs ?? null,
      faithful: result.faithful && result.complete,
      tFailMs: scenario.gossip.tFailMs,
    });
  }
  const styles = new Map<string, StyleInfection>();
  for (const run of STYLE_RUNS) {
    if (options.signal?.aborted) break;
    options.onRun?.(run.name, index++, total);
    const result = await runScenario({
      scenario: resolveScenario({
        name: run.name,
        members: 200,
        duration: { tGossip: 60 },
        measureEpisodes: true,
        episodeHorizon: { tGossip: 30 },
        dissemination: run.style,
        speedup,
        seed,
      }),
      outDir: `${options.outDir}/${run.name}`,
      ...passOn,
    });
    styles.set(run.name, styleInfection(result));
  }
  const claims = composeClaims(v, detection, styles);
  const report: ClaimsReport = {
    schemaVersion: 1,
    startedAt,
    wallSeconds: (performance.now() - started) / 1000,
    settings: { speedup, scale, seed },
    claims,
  };
  await writeClaims(options.outDir, report);
  return report;
}

/** Recomposes the report from a previous `claims` directory (validation.json and result.json of each run). */
export async function recomposeClaims(dir: string): Promise<ClaimsReport> {
  const v = new Map<string, ValidationFile>();
  for (const spec of VALIDATIONS) {
    try {
      v.set(spec.name, JSON.parse(await Deno.readTextFile(`${dir}/${spec.name}/validation.json`)) as ValidationFile);
    } catch {
      // not run
    }
  }
  const detection = new Map<number, CrashRunDetection>();
  for (const n of CRASH_SIZES) {
    try {
      const r = JSON.parse(await Deno.readTextFile(`${dir}/crash-n${n}/result.json`));
      detection.set(n, {
        medianMs: r.crashes[0]?.detection.medianMs ?? null,
        faithful: r.faithful && r.complete,
        tFailMs: r.config.tFailMs,
      });
    } catch {
      // not run
    }
  }
  const styles = new Map<string, StyleInfection>();
  for (const run of STYLE_RUNS) {
    try {
      const r = JSON.parse(await Deno.readTextFile(`${dir}/${run.name}/result.json`)) as RunResult;
      styles.set(run.name, styleInfection(r));
    } catch {
      // not run
    }
  }
  const previous = JSON.parse(await Deno.readTextFile(`${dir}/claims.json`)) as ClaimsReport;
  const report: ClaimsReport = { ...previous, claims: composeClaims(v, detection, styles) };
  await writeClaims(dir, report);
  return report;
}
