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

import { swimExpectedDetectionPeriods } from "../../lib/model/swim.ts";
import { epidemicCurve, roundsToFraction } from "../../lib/model/epidemic.ts";
import { Histogram } from "../../lib/core/histogram.ts";
import type { LevelBandwidth, Remerge } from "../metrics/metrics.ts";
import type { RunResult } from "../run/result.ts";
import { writeJsonAtomic } from "../run/result.ts";
import { runScenario } from "../run/run.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/resolve.ts";
import { renderSvg } from "../report/charts.ts";

/** The detectors the comparison can run (the default comparison). */
export const DETECTOR_VARIANTS = ["basic", "swim", "lifeguard", "phi", "neighbor"] as const;
/** The basic detector's dissemination styles and target choices. */
export const DISSEMINATION_VARIANTS = ["push", "pull", "push-pull", "digest", "topology-aware", "multi-level"] as const;
/** Catastrophe recovery off and on. */
export const BROADCAST_VARIANTS = ["broadcast", "no-broadcast"] as const;
/** Variants the comparison can run. */
export const COMPARABLE = [...DETECTOR_VARIANTS, ...DISSEMINATION_VARIANTS, ...BROADCAST_VARIANTS] as const;
/** One of {@linkcode COMPARABLE}. */
export type Comparable = typeof COMPARABLE[number];

/** The scenario a variant runs: `input` with the variant's settings applied. */
export function applyVariant(input: ScenarioInput, variant: Comparable): ScenarioInput {
  const n = input.members ?? 50;
  const name = `${input.name}-${variant}`;
  const gossip = (extra: Partial<ScenarioInput>): ScenarioInput => ({
    ...input,
    name,
    detector: input.detector === "phi" ? "phi" : "basic",
    ...extra,
  });
  switch (variant) {
    case "basic":
    case "phi":
      return { ...input, name, detector: variant };
    case "swim":
    case "neighbor": {
      // Gossip-only settings do not apply to probing detectors.
      const { dissemination: _d, catastrophe: _c, ...rest } = input;
      return { ...rest, name, detector: variant };
    }
    case "lifeguard": {
      const { dissemination: _d, catastrophe: _c, ...rest } = input;
      // As memberlist runs it: plus the separate gossip every 200 ms to 3 members.
      return {
        ...rest,
        name,
        detector: "swim",
        swim: { gossipIntervalMs: 200, gossipNodes: 3, ...input.swim, lifeguard: true },
      };
    }
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
      return { ...rest, name, detector: input.detector === "phi" ? "phi" : "basic" };
    }
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
  switch (c.detector) {
    case "basic":
    case "phi": {
      const base = c.detector === "phi"
        ? `phi >= ${c.phi!.threshold} (pause ${(c.phi!.acceptablePauseMs / 1000).toFixed(1)} s, sd floor ${
          (c.phi!.minStdDevMs / 1000).toFixed(1)
        } s)`
        : `T_fail ${(c.tFailMs / 1000).toFixed(2)} s for P_mistake ${c.pMistake}`;
      return c.catastrophe ? `${base}; reports after ${(c.catastrophe.reportAfterMs / 1000).toFixed(1)} s` : base;
    }
    case "swim": {
      const s = c.swim!;
      const first = swimExpectedDetectionPeriods(1) * s.protocolPeriodMs;
      if (s.lifeguard) {
        return `gossip every ${s.gossipIntervalMs ?? "—"} ms to ${s.gossipNodes}; first suspicion ~${
          (first / 1000).toFixed(2)
        } s (1.58 T') + suspicion timeout from ${(6 * s.suspicionTimeoutMs / 1000).toFixed(1)} s down to ${
          (s.suspicionTimeoutMs / 1000).toFixed(1)
        } s with confirmations`;
      }
      return `first suspicion ~${(first / 1000).toFixed(2)} s (1.58 T') + suspicion timeout ${
        (s.suspicionTimeoutMs / 1000).toFixed(2)
      } s = ${((first + s.suspicionTimeoutMs) / 1000).toFixed(2)} s`;
    }
    case "neighbor": {
      const nb = c.neighbor!;
      const n = c.n;
      // Suspicion after `misses` unanswered pings (plus up to one period of phase), then the notice spreads
      // by push gossip every noticeInterval: about log_1.585(n) rounds.
      const suspect = (nb.missesToSuspect + 0.5) * nb.pingIntervalMs;
      const spread = (Math.log(n) / Math.log(1.585)) * nb.noticeIntervalMs;
      return `${nb.quorum} of ${2 * nb.neighborsPerSide} pingers after ${nb.missesToSuspect} missed pings: ~${
        (suspect / 1000).toFixed(2)
      } s + notice spread ~${(spread / 1000).toFixed(2)} s (log_1.585 n rounds of ${nb.noticeIntervalMs} ms)`;
    }
  }
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
    const c = epidemicCurve(style, { members: live, loss: r.config.loss }, 200);
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
    if (options.equalBudget && (variantInput.detector === "swim" || variantInput.detector === "neighbor")) {
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
  if (sc.swim) {
    const period = sc.swim.protocolPeriodMs * factor;
    return {
      pilotBytesPerSec: measured,
      input: {
        ...input,
        speedup,
        swim: {
          ...input.swim,
          protocolPeriodMs: period,
          pingTimeoutMs: Math.min(sc.swim.pingTimeoutMs, period / 2),
        },
      },
    };
  }
  const nb = sc.neighbor!;
  const ping = nb.pingIntervalMs * factor;
  return {
    pilotBytesPerSec: measured,
    input: {
      ...input,
      speedup,
      neighbor: {
        ...input.neighbor,
        pingIntervalMs: ping,
        pingTimeoutMs: Math.min(nb.pingTimeoutMs, ping / 2),
        membershipIntervalMs: nb.membershipIntervalMs * factor,
      },
    },
  };
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
