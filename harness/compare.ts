/**
 * The comparison run: one scenario (group, fault schedule, seed) run once
 * per detector, with a side-by-side table of detection, mistakes and
 * bandwidth, each beside its own model where one exists (the basic
 * detector's T_fail, SWIM's expected first detection plus its suspicion
 * timeout, phi's threshold).
 *
 * @module
 */

import { swimExpectedDetectionPeriods } from "../lib/model/swim.ts";
import type { RunResult } from "./results.ts";
import { writeJsonAtomic } from "./results.ts";
import { runScenario } from "./run.ts";
import { resolveScenario, type ScenarioInput } from "./scenario.ts";

/** Detectors the comparison can run. */
export const COMPARABLE = ["basic", "swim", "lifeguard", "phi"] as const;
/** One of {@linkcode COMPARABLE}. */
export type Comparable = typeof COMPARABLE[number];

/** One row of the comparison. */
export interface ComparisonRow {
  /** The detector. */
  readonly detector: Comparable;
  /** Whether its run was faithful. */
  readonly faithful: boolean;
  /** First / median / full detection of the first crash (nominal ms). */
  readonly firstMs: number | null;
  /** Median detection. */
  readonly medianMs: number | null;
  /** Full detection (null unless every live observer detected it). */
  readonly fullMs: number | null;
  /** Fraction of live observers that detected it. */
  readonly detectedFraction: number | null;
  /** Mistakes and the rate per pair-hour. */
  readonly mistakes: number;
  /** Mistakes per pair-hour. */
  readonly mistakesPerPairHour: number;
  /** UDP payload per member per nominal second. */
  readonly bytesPerSec: number;
  /** With IPv4/UDP headers. */
  readonly wireBytesPerSec: number;
  /** What the detector's own model says about detection, in words and numbers. */
  readonly model: string;
  /** Where the run's files are. */
  readonly outDir: string;
}

function modelOf(detector: Comparable, r: RunResult): string {
  const c = r.config;
  switch (detector) {
    case "basic":
      return `T_fail ${(c.tFailMs / 1000).toFixed(2)} s for P_mistake ${c.pMistake}`;
    case "swim":
    case "lifeguard": {
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
    case "phi":
      return `phi >= ${c.phi!.threshold} (pause ${(c.phi!.acceptablePauseMs / 1000).toFixed(1)} s, sd floor ${
        (c.phi!.minStdDevMs / 1000).toFixed(1)
      } s)`;
  }
}

/** Runs `input` once per detector and writes compare.json and compare.md into `outDir`. */
export async function runComparison(
  input: ScenarioInput,
  detectors: readonly Comparable[],
  options: { readonly outDir: string; readonly harnessVersion: string; readonly onRun?: (d: Comparable) => void },
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const detector of detectors) {
    options.onRun?.(detector);
    const scenario = resolveScenario({
      ...input,
      name: `${input.name}-${detector}`,
      // Lifeguard as memberlist runs it: plus the separate gossip every 200 ms to 3 members.
      ...(detector === "lifeguard"
        ? { detector: "swim", swim: { ...input.swim, lifeguard: true, gossipIntervalMs: 200, gossipNodes: 3 } }
        : { detector }),
    });
    const dir = `${options.outDir}/${detector}`;
    const r = await runScenario({ scenario, outDir: dir, harnessVersion: options.harnessVersion });
    const crash = r.crashes.find((c) => c.cause !== "failed");
    rows.push({
      detector,
      faithful: r.faithful && r.complete,
      firstMs: crash?.detection.firstMs ?? null,
      medianMs: crash?.detection.medianMs ?? null,
      fullMs: crash?.detection.fullMs ?? null,
      detectedFraction: crash?.detection.detectedFraction ?? null,
      mistakes: r.mistakes.count,
      mistakesPerPairHour: r.mistakes.perPairHour,
      bytesPerSec: r.bandwidth.meanBytesPerSec,
      wireBytesPerSec: r.bandwidth.meanWireBytesPerSec,
      model: modelOf(detector, r),
      outDir: dir,
    });
  }
  await writeJsonAtomic(`${options.outDir}/compare.json`, { scenario: input, rows });
  const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
  await Deno.writeTextFile(
    `${options.outDir}/compare.md`,
    [
      `# Comparison: ${input.name}`,
      "",
      "| detector | faithful | first | median | full | detected | mistakes | B/s/member (payload) | with headers | model |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows.map((r) =>
        `| ${r.detector} | ${r.faithful ? "yes" : "NO"} | ${s(r.firstMs)} | ${s(r.medianMs)} | ${s(r.fullMs)} | ${
          r.detectedFraction ?? "—"
        } | ${r.mistakes} | ${r.bytesPerSec.toFixed(1)} | ${r.wireBytesPerSec.toFixed(1)} | ${r.model} |`
      ),
      "",
    ].join("\n"),
  );
  return rows;
}
