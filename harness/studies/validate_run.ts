/**
 * `harness validate`: runs the basic detector on real UDP with f members
 * failed from the start, measures every propagation episode, and writes
 * `DIR/validation.json` (model against measurement per T) next to the
 * run's own `result.json`.
 *
 * With `simulate`, the same scenario runs in the simulator
 * (`../sim/simulate.ts`: the same detectors, episode tracker, journal and
 * analysis in virtual time), which reaches the 10^7 episodes that measure
 * q(T) down to 10^-6 in minutes; the file is the same, marked `mode:
 * "simulated"`. Its measured column is then the simulator itself, so the
 * older toy simulation (`simulated_episodes.ts`) is not run beside it.
 * The real-socket run stays the check of the simulator (at 10^-4).
 *
 * @module
 */

import type { EpisodeRecord } from "../metrics/episodes.ts";
import type { RunResult } from "../run/result.ts";
import { forEachLine } from "../os/child.ts";
import { writeJsonAtomic } from "../os/files.ts";
import { runScenario } from "../run/run.ts";
import { simulateScenario } from "../sim/simulate.ts";
import { resolveScenario, type Scenario } from "../scenario/mod.ts";
import { simulateEpisodes } from "./simulated_episodes.ts";
import { layoutDir, pooledValidation, runLayouts } from "./validate_layouts.ts";
import { validate, type ValidateInput, type Validation } from "./validation.ts";

/** Options of {@linkcode runValidation}. */
export interface ValidationOptions {
  /** Members, n. @default {50} */
  readonly members?: number;
  /** Members failed from the start, f. @default {1} */
  readonly failed?: number;
  /** Loss on every link (the model is given the same loss). @default {0} */
  readonly loss?: number;
  /** Budget B (bytes/s). @default {250} */
  readonly budgetBytesPerSec?: number;
  /** Target P_mistake that sets T_fail. @default {1e-3} */
  readonly pMistake?: number;
  /** Time compression. @default {10} */
  readonly speedup?: number;
  /** Episodes to aim for (sets the run length). @default {20000} */
  readonly episodes?: number;
  /** Seed. @default {1} */
  readonly seed?: number;
  /** Output directory. */
  readonly outDir: string;
  /** Aborting ends the run early (the validation is then inconclusive). */
  readonly signal?: AbortSignal;
  /** Progress callback, as for runScenario. */
  readonly onProgress?: Parameters<typeof runScenario>[0]["onProgress"];
  /** Recorded in results. */
  readonly harnessVersion?: string;
  /** Run in the simulator (virtual time) instead of on real sockets. @default {false} */
  readonly simulate?: boolean;
  /** With `simulate`: spread the episodes over this many runs (seeds seed, seed+1, ...), pooled. @default {1} */
  readonly layouts?: number;
}

/** Contents of `DIR/validation.json`. */
export interface ValidationFile extends Validation {
  /** Layout version. */
  readonly schemaVersion: 1;
  /** Whether the episodes were measured on real sockets or in the simulator. */
  readonly mode: RunResult["mode"];
  /** The seeds of the pooled layouts (`validate_layouts.ts`), when the episodes come from several runs. */
  readonly layouts?: readonly number[];
  /** False when the run was not faithful or not complete: verdicts are then "inconclusive". */
  readonly conclusive: boolean;
  /** Why the validation is inconclusive (empty when conclusive). */
  readonly inconclusiveBecause: readonly string[];
  /** The run's config block (seed, speed-up, timings). */
  readonly config: RunResult["config"];
  /** Mistakes actually made at the chosen T_fail during the run. */
  readonly directMistakes: RunResult["mistakes"];
  /** Real seconds the run took. */
  readonly wallSeconds: number;
  /** The run's noise-floor verdict. */
  readonly faithful: boolean;
}

/** Independent phase layouts (seeds) the simulated column pools. */
export const SIMULATED_LAYOUTS = 8;

/** Builds the scenario a validation runs. */
export function validationScenario(options: ValidationOptions): Scenario {
  const members = options.members ?? 50;
  const failed = options.failed ?? 1;
  const loss = options.loss ?? 0;
  const base = {
    name: "validate",
    members,
    failed,
    loss,
    modelFailed: failed,
    modelLoss: loss,
    ...(options.budgetBytesPerSec !== undefined ? { budgetBytesPerSec: options.budgetBytesPerSec } : {}),
    ...(options.pMistake !== undefined ? { pMistake: options.pMistake } : {}),
  };
  // The timings first (they set the window and the run length), then the scenario itself.
  const g = resolveScenario({ ...base, duration: 1 }).gossip;
  const horizonMs = 1.5 * g.tFailMs;
  const episodesPerMs = (members - failed) / g.tGossipMs;
  const durationMs = horizonMs + 3 * g.tGossipMs + (options.episodes ?? 20_000) / episodesPerMs;
  return resolveScenario({
    ...base,
    description: `model against measurement: n=${members}, f=${failed}, loss=${loss}`,
    duration: durationMs,
    speedup: options.speedup ?? 10,
    seed: options.seed ?? 1,
    measureEpisodes: true,
    episodeHorizon: horizonMs,
  });
}

/** Runs a validation and writes `validation.json`. */
export async function runValidation(options: ValidationOptions): Promise<{ file: ValidationFile; result: RunResult }> {
  if (options.simulate && (options.layouts ?? 1) > 1) return await runLayouts(options, options.layouts!);
  const scenario = validationScenario(options);
  const sink: EpisodeRecord[] = [];
  const run = {
    scenario,
    outDir: options.outDir,
    episodeSink: sink,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.harnessVersion ? { harnessVersion: options.harnessVersion } : {}),
  };
  const result = options.simulate ? await simulateScenario(run) : await runScenario(run);
  const file = buildValidationFile(result, sink);
  await writeJsonAtomic(`${options.outDir}/validation.json`, file);
  return { file, result };
}

/**
 * Computes a validation from a finished run: its result and its episodes
 * (merged over shards). Also used to re-analyse a saved run.
 */
export function buildValidationFile(result: RunResult, records: readonly EpisodeRecord[]): ValidationFile {
  const episodes = result.episodes;
  if (!episodes) throw new RangeError("the run did not measure episodes ('measureEpisodes' was off)");
  const c = result.config;
  const reasons = [...result.noise.reasons];
  if (!result.complete) reasons.push(result.interrupted ? "the run was interrupted" : "the run failed");
  const v = validate({
    model: { members: c.n, failed: c.failed, loss: c.loss },
    tGossipSeconds: c.tGossipMs / 1000,
    tFailSeconds: c.tFailMs / 1000,
    horizonSeconds: episodes.horizonMs / 1000,
    episodes: records,
    expectedObservers: episodes.expectedObservers,
    propagation: episodes.propagation,
    faithful: reasons.length === 0,
    // A simulated run's measurement is the simulator: no toy simulation beside it.
    ...(result.mode === "simulated" ? {} : { simulated: toySimulation(result, records) }),
  });
  return {
    schemaVersion: 1,
    mode: result.mode ?? "real",
    conclusive: reasons.length === 0,
    inconclusiveBecause: reasons,
    config: result.config,
    directMistakes: result.mistakes,
    wallSeconds: result.wallSeconds,
    faithful: result.faithful,
    ...v,
  };
}

/** The toy simulation of the same protocol, in independent phase layouts, beside a real run's episodes. */
function toySimulation(
  result: RunResult,
  records: readonly EpisodeRecord[],
): NonNullable<ValidateInput["simulated"]> {
  const c = result.config;
  const horizonMs = result.episodes!.horizonMs;
  // Independent phase layouts: the run's own seed, then the next ones.
  const perLayout = Math.max(2000, Math.ceil(records.length / SIMULATED_LAYOUTS));
  const runs = Array.from({ length: SIMULATED_LAYOUTS }, (_, i) =>
    simulateEpisodes({
      members: c.n,
      failed: c.failed,
      loss: c.loss,
      tGossipMs: c.tGossipMs,
      tFailMs: c.tFailMs,
      horizonMs,
      episodes: perLayout,
      seed: (c.seed + i) >>> 0,
    }));
  return { layouts: runs.map((r) => r.records), expectedObservers: runs[0]!.expectedObservers };
}

/**
 * Re-analyses a saved validation run (its result.json and episodes.csv, or
 * every `layout-<i>` directory's when it pooled layouts) and rewrites
 * validation.json.
 */
export async function revalidate(dir: string): Promise<ValidationFile> {
  const pooled = await Deno.stat(`${layoutDir(dir, 1)}/result.json`).then(() => true, () => false);
  let file: ValidationFile;
  if (pooled) {
    const results: RunResult[] = [];
    const layouts: EpisodeRecord[][] = [];
    for (let i = 1;; i++) {
      const at = layoutDir(dir, i);
      const text = await Deno.readTextFile(`${at}/result.json`).catch(() => null);
      if (text === null) break;
      results.push(JSON.parse(text) as RunResult);
      layouts.push(await readEpisodesCsv(`${at}/episodes.csv`));
    }
    file = pooledValidation(results, layouts);
  } else {
    const result = JSON.parse(await Deno.readTextFile(`${dir}/result.json`)) as RunResult;
    file = buildValidationFile(result, await readEpisodesCsv(`${dir}/episodes.csv`));
  }
  await writeJsonAtomic(`${dir}/validation.json`, file);
  return file;
}

/** Reads `episodes.csv` line by line (ten million episodes are more than one string holds comfortably). */
async function readEpisodesCsv(path: string): Promise<EpisodeRecord[]> {
  const records: EpisodeRecord[] = [];
  using csv = await Deno.open(path, { read: true });
  let header = true;
  await forEachLine(csv.readable, (line) => {
    if (header) {
      header = false;
      return;
    }
    const [source, counter, originMs, learned, maxPropMs] = line.split(",").map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    records.push({ source, counter, originMs, learned, maxPropMs });
  });
  return records;
}
