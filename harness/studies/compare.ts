/**
 * The comparison run: one scenario (group, fault schedule, seed) run once
 * per variant, with a side-by-side table. A variant is a detector (basic,
 * SWIM, Lifeguard, phi, the lecture's neighbour pings), a dissemination style
 * of the basic detector (push, pull, push-pull, digest, topology-aware,
 * multi-level), or catastrophe recovery on or off. Each row puts detection,
 * mistakes and bytes beside the variant's own model where one exists, plus
 * the infection curve (when the scenario measures episodes), re-merge after
 * healed partitions, and bytes per topology level.
 *
 * With `equalBudget`, variants whose bandwidth is not set by B (SWIM,
 * Lifeguard, neighbour pings) first run a short fault-free pilot; their
 * periods are then scaled by measured / B so the real run spends about the
 * same bytes per member as the basic detector. Lifeguard's separate gossip
 * keeps its 200 ms: it sends only queued updates, so a fault-free pilot
 * cannot price it, and scaling it by the probes' cost floods the group once
 * updates appear. The table reports what the
 * real run measured, not the target.
 *
 * With `simulated`, each variant also runs in the simulator (same scenario
 * and seed, `../sim/simulate.ts`), in a row of its own beside the real one
 * ("swim", "swim (simulated)").
 *
 * @module
 */

import { kindOf } from "../members/registry.ts";
import type { LevelBandwidth } from "../metrics/levels.ts";
import type { Mistakes } from "../metrics/mistakes.ts";
import { poissonInterval } from "../../lib/core/stats.ts";
import type { Remerge } from "../metrics/remerge.ts";
import type { RunResult } from "../run/result.ts";
import { writeJsonAtomic, writeTextAtomic } from "../os/files.ts";
import { RunFailedError, runScenario } from "../run/run.ts";
import { simulateScenario } from "../sim/simulate.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/mod.ts";
import { kindSettingsInput } from "./_kind_settings.ts";
import { comparisonMarkdown, infectionChart } from "./compare_render.ts";
import { applyVariant, type Comparable, externalVariants } from "./compare_variants.ts";
import { infectionOf, type InfectionSummary } from "./infection.ts";

/** One row of the comparison. */
export interface ComparisonRow {
  /** The variant. */
  readonly variant: Comparable;
  /** The detector it ran. */
  readonly detector: string;
  /** Whether its run was faithful. */
  readonly faithful: boolean;
  /** The detector's period as run (T_gossip, T' or the ping interval; nominal ms). */
  readonly periodMs: number;
  /** First / median / full detection of the first crash (nominal ms). */
  readonly firstMs: number | null;
  /** Median detection. */
  readonly medianMs: number | null;
  /** Full detection (null unless every live observer detected it). */
  readonly fullMs: number | null;
  /** Fraction of live observers that detected it. */
  readonly detectedFraction: number | null;
  /** Mistakes. */
  readonly mistakes: number;
  /** Mistakes per pair-hour. */
  readonly mistakesPerPairHour: number;
  /** 95% interval of the mistakes count (exact Poisson). */
  readonly mistakesCi95: readonly [number, number];
  /** Mistakes split by who was slow (the slow-member fault), when the scenario slows any member. */
  readonly mistakesBySlowness: Mistakes["bySlowness"] | null;
  /** UDP payload per member per nominal second, as sent. */
  readonly bytesPerSec: number;
  /** With IPv4/UDP headers. */
  readonly wireBytesPerSec: number;
  /** TCP stream bytes per member per second through the proxy's relay (real programs), else null. */
  readonly tcpBytesPerSec: number | null;
  /** Pilot run's bytes per member per second when the period was scaled to the budget, else null. */
  readonly pilotBytesPerSec: number | null;
  /** What the variant's own model says about detection. */
  readonly model: string;
  /** Infection curve, when the scenario measures episodes. */
  readonly infection: InfectionSummary | null;
  /** Re-merge after the first healed partition that split views, if any. */
  readonly remerge: Remerge | null;
  /** Bytes by topology level, when the variant has a topology. */
  readonly levels: LevelBandwidth | null;
  /** Catastrophe broadcasts sent, when on. */
  readonly broadcasts: number | null;
  /** Why the variant has no numbers (its budget pilot was not faithful), or null. */
  readonly error: string | null;
  /** Where the run's files are. */
  readonly outDir: string;
}

/** A budget pilot that was not faithful: its bytes cannot set a period. */
export class BudgetPilotError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BudgetPilotError";
  }
}

function failedRow(variant: Comparable, detector: string, error: string, outDir: string): ComparisonRow {
  return {
    variant,
    detector,
    faithful: false,
    periodMs: 0,
    firstMs: null,
    medianMs: null,
    fullMs: null,
    detectedFraction: null,
    mistakes: 0,
    mistakesPerPairHour: 0,
    mistakesCi95: [0, 0],
    mistakesBySlowness: null,
    bytesPerSec: 0,
    wireBytesPerSec: 0,
    tcpBytesPerSec: null,
    pilotBytesPerSec: null,
    model: `not run: ${error}`,
    infection: null,
    remerge: null,
    levels: null,
    broadcasts: null,
    error,
    outDir,
  };
}

function modelOf(r: RunResult): string {
  const c = r.config;
  return kindOf(c.detector).model(c.settings, {
    members: c.n,
    gossip: {
      budgetBytesPerSec: c.B,
      pMistake: c.pMistake,
      rounds: c.rounds,
      tGossipMs: c.tGossipMs,
      tFailMs: c.tFailMs,
      tCleanupMs: c.tCleanupMs,
    },
    dissemination: c.dissemination,
    catastrophe: c.catastrophe,
  });
}

/** Options of {@linkcode runComparison}. */
export interface ComparisonOptions {
  /** Where compare.json, compare.md, infection.svg and one directory per variant go. */
  readonly outDir: string;
  /** Recorded with every result. */
  readonly harnessVersion: string;
  /** Scale SWIM's, Lifeguard's and the neighbour detector's periods so they spend about B. @default {false} */
  readonly equalBudget?: boolean;
  /** Called before each run. */
  readonly onRun?: (variant: Comparable, pilot: boolean) => void;
  /** Also run each variant in the simulator, in a row beside the real one. @default {false} */
  readonly simulated?: boolean;
}

/** Runs `input` once per variant and writes compare.json and compare.md (and infection.svg) into `outDir`. */
export async function runComparison(
  input: ScenarioInput,
  variants: readonly Comparable[],
  options: ComparisonOptions,
): Promise<ComparisonRow[]> {
  const external = externalVariants(variants);
  if (external.length > 0) {
    if (options.equalBudget) {
      throw new RangeError(
        `equal-budget comparisons scale periods in time-compressed pilots; ${
          external.join(" and ")
        } run in real time only`,
      );
    }
    // Real programs run in real time: so does every variant of the comparison, for like with like.
    input = { ...input, speedup: 1 };
  }
  const rows: ComparisonRow[] = [];
  for (const variant of variants) {
    let variantInput = applyVariant(input, variant);
    const dir = `${options.outDir}/${variant}`;
    let pilotBytesPerSec: number | null = null;
    if (options.equalBudget && kindOf(variantInput.detector ?? "basic").scaleToBudget) {
      options.onRun?.(variant, true);
      try {
        const scaled = await scaleToBudget(variantInput, `${dir}/pilot`, options.harnessVersion);
        variantInput = scaled.input;
        pilotBytesPerSec = scaled.pilotBytesPerSec;
      } catch (error) {
        if (!(error instanceof BudgetPilotError)) throw error;
        // The other variants still run; this row says why it has no numbers.
        rows.push(failedRow(variant, variantInput.detector ?? "basic", error.message, dir));
        continue;
      }
    }
    options.onRun?.(variant, false);
    const scenario = resolveScenario(variantInput);
    let r: RunResult;
    try {
      r = await runScenario({ scenario, outDir: dir, harnessVersion: options.harnessVersion });
    } catch (error) {
      if (!(error instanceof RunFailedError)) throw error;
      // The other variants still run; this row says why it has no numbers (its partial result is in `dir`).
      rows.push(failedRow(variant, variantInput.detector ?? "basic", error.message, dir));
      continue;
    }
    rows.push(rowOf(variant, scenario.periodMs, r, pilotBytesPerSec, dir));
    if (options.simulated) {
      const simulated = `${variant} (simulated)`;
      options.onRun?.(simulated, false);
      const sim = await simulateScenario({
        scenario,
        outDir: `${dir}-simulated`,
        harnessVersion: options.harnessVersion,
      });
      rows.push(rowOf(simulated, scenario.periodMs, sim, pilotBytesPerSec, `${dir}-simulated`));
    }
  }
  await writeJsonAtomic(`${options.outDir}/compare.json`, {
    scenario: input,
    equalBudget: !!options.equalBudget,
    rows,
  });
  await writeTextAtomic(`${options.outDir}/compare.md`, comparisonMarkdown(input.name, rows, !!options.equalBudget));
  if (rows.some((r) => r.infection)) {
    await writeTextAtomic(`${options.outDir}/infection.svg`, await infectionChart(rows));
  }
  return rows;
}

/** A variant's row from its run. */
function rowOf(
  variant: Comparable,
  periodMs: number,
  r: RunResult,
  pilotBytesPerSec: number | null,
  dir: string,
): ComparisonRow {
  const crash = r.crashes.find((c) => c.cause !== "failed");
  return {
    variant,
    detector: r.config.detector,
    faithful: r.faithful && r.complete,
    periodMs,
    firstMs: crash?.detection.firstMs ?? null,
    medianMs: crash?.detection.medianMs ?? null,
    fullMs: crash?.detection.fullMs ?? null,
    detectedFraction: crash?.detection.detectedFraction ?? null,
    mistakes: r.mistakes.count,
    mistakesPerPairHour: r.mistakes.perPairHour,
    mistakesCi95: poissonInterval(r.mistakes.count),
    mistakesBySlowness: r.config.faults.some((f) => f.kind === "slow") ? r.mistakes.bySlowness : null,
    bytesPerSec: r.bandwidth.meanBytesPerSec,
    wireBytesPerSec: r.bandwidth.meanWireBytesPerSec,
    tcpBytesPerSec: r.bandwidth.tcp?.meanSentBytesPerSec ?? null,
    pilotBytesPerSec,
    model: modelOf(r),
    infection: infectionOf(r),
    remerge: r.remerges?.[0] ?? null,
    levels: r.levels ?? null,
    broadcasts: r.broadcasts?.broadcasts ?? null,
    error: null,
    outDir: dir,
  };
}

/**
 * Runs a fault-free pilot of `input` for 30 periods and scales its periods by
 * measured bytes / B, so the real run spends about B per member.
 */
async function scaleToBudget(
  input: ScenarioInput,
  dir: string,
  harnessVersion: string,
): Promise<{ input: ScenarioInput; pilotBytesPerSec: number }> {
  const sc = resolveScenario(input);
  const { crashes: _c, faults: _f, failed: _x, measureEpisodes: _m, recovery: _r, ...rest } = input;
  // A gentle speed-up: a start-up stall in a short, fast pilot causes suspicions whose updates inflate the bytes.
  const pilot = resolveScenario({
    ...rest,
    name: `${input.name}-pilot`,
    duration: 60 * sc.periodMs,
    speedup: Math.min(sc.speedup, 2),
  });
  const r = await runScenario({ scenario: pilot, outDir: dir, harnessVersion });
  if (!r.faithful) {
    throw new BudgetPilotError(
      `the budget pilot of ${input.name} was not faithful (${r.noise.reasons.join("; ")}; see ${dir})`,
    );
  }
  const measured = r.bandwidth.meanBytesPerSec;
  const factor = measured / sc.gossip.budgetBytesPerSec;
  // Shorter periods run at a proportionally lower speed-up, so real periods (and the noise floor) stay put.
  const speedup = factor < 1 ? sc.speedup * factor : sc.speedup;
  const kind = kindOf(sc.detector);
  const key = kind.settingsKey!;
  const settings = kind.scaleToBudget!(kindSettingsInput(input, key), sc.settings, factor);
  return { pilotBytesPerSec: measured, input: { ...input, speedup, [key]: settings } as ScenarioInput };
}
