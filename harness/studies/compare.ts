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
 * @module
 */

import type { MemberKind } from "../../lib/core/kind.ts";
import { kindOf, MEMBER_KINDS } from "../members/registry.ts";
import { epidemicCurve, roundsToFraction } from "../../lib/model/epidemic.ts";
import { Histogram } from "../../lib/core/histogram.ts";
import type { LevelBandwidth } from "../metrics/levels.ts";
import type { Remerge } from "../metrics/remerge.ts";
import type { RunResult } from "../run/result.ts";
import { writeJsonAtomic } from "../os/files.ts";
import { runScenario } from "../run/run.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/mod.ts";
import { renderSvg } from "../report/charts.ts";

/** The member kinds and their named variants (SWIM's `lifeguard`), from the registry: the default comparison. */
export const DETECTOR_VARIANTS: readonly string[] = Object.values(MEMBER_KINDS).flatMap((k) => [
  k.name,
  ...Object.keys((k as { variants?: object }).variants ?? {}),
]);
/** The basic detector's dissemination styles and target choices. */
export const DISSEMINATION_VARIANTS = ["push", "pull", "push-pull", "digest", "topology-aware", "multi-level"] as const;
/** Catastrophe recovery off and on. */
export const BROADCAST_VARIANTS = ["broadcast", "no-broadcast"] as const;
/** Variants the comparison can run. */
export const COMPARABLE: readonly string[] = [...DETECTOR_VARIANTS, ...DISSEMINATION_VARIANTS, ...BROADCAST_VARIANTS];
/** One of {@linkcode COMPARABLE}. */
export type Comparable = string;

/** The kind a detector variant belongs to, and the variant's settings transform if it is a named one. */
function detectorVariant(
  variant: string,
):
  | { kind: MemberKind<unknown>; settings?: (i: Record<string, unknown> | undefined) => Record<string, unknown> }
  | null {
  for (const k of Object.values(MEMBER_KINDS) as unknown as MemberKind<unknown>[]) {
    if (k.name === variant) return { kind: k };
    const v = k.variants?.[variant];
    if (v) return { kind: k, settings: v };
  }
  return null;
}

/** The scenario a variant runs: `input` with the variant's settings applied. */
export function applyVariant(input: ScenarioInput, variant: Comparable): ScenarioInput {
  const n = input.members ?? 50;
  const name = `${input.name}-${variant}`;
  const gossipKind = input.detector === "phi" ? "phi" : "basic";
  const gossip = (extra: Partial<ScenarioInput>): ScenarioInput => ({ ...input, name, detector: gossipKind, ...extra });
  const chosen = detectorVariant(variant);
  if (chosen) {
    const { kind, settings } = chosen;
    // Gossip-only settings do not apply to probing detectors.
    const { dissemination: _d, catastrophe: _c, ...probing } = input;
    const base: Record<string, unknown> = { ...(kind.gossipOptions ? input : probing), name, detector: kind.name };
    if (settings && kind.settingsKey) {
      base[kind.settingsKey] = settings(
        (input as Record<string, unknown>)[kind.settingsKey] as Record<string, unknown>,
      );
    }
    return base as ScenarioInput;
  }
  switch (variant) {
    case "push":
    case "pull":
    case "push-pull":
    case "digest":
      return gossip({ dissemination: variant });
    case "topology-aware":
      // The lectures' rule: inside the subnet with probability 1 - 1/n_i; about sqrt(n) subnets of sqrt(n).
      return gossip({
        dissemination: "push",
        topology: input.topology ?? { domains: 1, subnetsPerDomain: Math.max(2, Math.round(Math.sqrt(n))) },
      });
    case "multi-level": {
      // The paper's three levels: about cbrt(n) domains of cbrt(n) subnets.
      const k = Math.max(2, Math.round(Math.cbrt(n)));
      return gossip({ dissemination: "push", topology: input.topology ?? { domains: k, subnetsPerDomain: k } });
    }
    case "broadcast":
      return gossip({ catastrophe: input.catastrophe ?? {} });
    case "no-broadcast": {
      const { catastrophe: _c, ...rest } = input;
      return { ...rest, name, detector: gossipKind };
    }
    default:
      throw new RangeError(`unknown variant '${variant}': expected one of ${COMPARABLE.join(", ")}`);
  }
}

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
  /** UDP payload per member per nominal second, as sent. */
  readonly bytesPerSec: number;
  /** With IPv4/UDP headers. */
  readonly wireBytesPerSec: number;
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
    bytesPerSec: 0,
    wireBytesPerSec: 0,
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
}

/** Runs `input` once per variant and writes compare.json and compare.md (and infection.svg) into `outDir`. */
export async function runComparison(
  input: ScenarioInput,
  variants: readonly Comparable[],
  options: ComparisonOptions,
): Promise<ComparisonRow[]> {
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
    const r = await runScenario({ scenario, outDir: dir, harnessVersion: options.harnessVersion });
    const crash = r.crashes.find((c) => c.cause !== "failed");
    rows.push({
      variant,
      detector: r.config.detector,
      faithful: r.faithful && r.complete,
      periodMs: scenario.periodMs,
      firstMs: crash?.detection.firstMs ?? null,
      medianMs: crash?.detection.medianMs ?? null,
      fullMs: crash?.detection.fullMs ?? null,
      detectedFraction: crash?.detection.detectedFraction ?? null,
      mistakes: r.mistakes.count,
      mistakesPerPairHour: r.mistakes.perPairHour,
      bytesPerSec: r.bandwidth.meanBytesPerSec,
      wireBytesPerSec: r.bandwidth.meanWireBytesPerSec,
      pilotBytesPerSec,
      model: modelOf(r),
      infection: infectionOf(r),
      remerge: r.remerges?.[0] ?? null,
      levels: r.levels ?? null,
      broadcasts: r.broadcasts?.broadcasts ?? null,
      error: null,
      outDir: dir,
    });
  }
  await writeJsonAtomic(`${options.outDir}/compare.json`, {
    scenario: input,
    equalBudget: !!options.equalBudget,
    rows,
  });
  await Deno.writeTextFile(`${options.outDir}/compare.md`, comparisonMarkdown(input.name, rows, !!options.equalBudget));
  if (rows.some((r) => r.infection)) {
    await Deno.writeTextFile(`${options.outDir}/infection.svg`, await infectionChart(rows));
  }
  return rows;
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
  const settings = kind.scaleToBudget!(
    (input as Record<string, unknown>)[key] as Record<string, unknown>,
    sc.settings,
    factor,
  );
  return { pilotBytesPerSec: measured, input: { ...input, speedup, [key]: settings } as ScenarioInput };
}

function comparisonMarkdown(name: string, rows: readonly ComparisonRow[], equalBudget: boolean): string {
  const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
  const p = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(2));
  const lines = [
    `# Comparison: ${name}`,
    "",
    equalBudget
      ? "Budgets equalised: SWIM's, Lifeguard's and the neighbour detector's periods were scaled by a fault-free pilot's bytes / B."
      : "Budgets not equalised: each variant runs its own default periods.",
    "",
    "| variant | detector | faithful | period | first | median | full | detected | mistakes | B/s/member (payload) | with headers | model |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.variant} | ${r.detector} | ${r.faithful ? "yes" : "NO"} | ${s(r.periodMs)} | ${s(r.firstMs)} | ${
        s(r.medianMs)
      } | ${s(r.fullMs)} | ${r.detectedFraction ?? "—"} | ${r.mistakes} | ${r.bytesPerSec.toFixed(1)}${
        r.pilotBytesPerSec !== null ? ` (pilot ${r.pilotBytesPerSec.toFixed(1)})` : ""
      } | ${r.wireBytesPerSec.toFixed(1)} | ${r.model} |`
    ),
    "",
  ];
  if (rows.some((r) => r.infection)) {
    lines.push(
      "## Infection (gossip periods from a heartbeat's origin)",
      "",
      "| variant | to 50% | to 99% | to all (median) | model 50% | model 99% | B/s/member |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...rows.filter((r) => r.infection).map((r) =>
        `| ${r.variant} | ${p(r.infection!.halfPeriods)} | ${p(r.infection!.p99Periods)} | ${
          p(r.infection!.allPeriods)
        } | ${p(r.infection!.model?.halfPeriods)} | ${p(r.infection!.model?.p99Periods)} | ${
          r.bytesPerSec.toFixed(1)
        } |`
      ),
      "",
    );
  }
  if (rows.some((r) => r.levels)) {
    lines.push(
      "## Bytes by level (per member per second; router load per subnet and per domain)",
      "",
      "| variant | subnets | domains | within subnet | to other subnets | to other domains | out of a subnet (mean / max) | out of a domain (mean / max) |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows.filter((r) => r.levels).map((r) => {
        const l = r.levels!;
        return `| ${r.variant} | ${l.subnets} | ${l.domains} | ${l.withinSubnetBytesPerSec.toFixed(1)} | ${
          l.crossSubnetBytesPerSec.toFixed(1)
        } | ${l.crossDomainBytesPerSec.toFixed(1)} | ${l.subnetOutBytesPerSec.mean.toFixed(1)} / ${
          l.subnetOutBytesPerSec.max.toFixed(1)
        } | ${l.domainOutBytesPerSec.mean.toFixed(1)} / ${l.domainOutBytesPerSec.max.toFixed(1)} |`;
      }),
      "",
    );
  }
  if (rows.some((r) => r.remerge || r.broadcasts !== null)) {
    lines.push(
      "## Re-merge after the healed partition",
      "",
      "| variant | broadcasts | split pairs | re-merged | median | all re-merged |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows.map((r) =>
        `| ${r.variant} | ${r.broadcasts ?? "off"} | ${r.remerge?.pairs ?? 0} | ${r.remerge?.remerged ?? 0} | ${
          s(r.remerge?.medianMs ?? null)
        } | ${r.remerge ? (r.remerge.fullMs === null ? "never" : s(r.remerge.fullMs)) : "—"} |`
      ),
      "",
    );
  }
  return lines.join("\n");
}

function infectionChart(rows: readonly ComparisonRow[]): Promise<string> {
  const values = rows.flatMap((r) =>
    (r.infection?.curve ?? []).map((p) => ({ periods: p.periods, fraction: p.fraction, variant: r.variant }))
  );
  return renderSvg({
    title: "Infection curves: mean fraction of live members holding a heartbeat",
    data: { values },
    mark: { type: "line" },
    encoding: {
      x: { field: "periods", type: "quantitative", title: "gossip periods since the heartbeat" },
      y: { field: "fraction", type: "quantitative", title: "fraction holding it", scale: { domain: [0, 1] } },
      color: { field: "variant", type: "nominal", title: null },
    },
  });
}
