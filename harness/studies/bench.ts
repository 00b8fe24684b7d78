/**
 * `harness bench`: runs the benchmark suite, saves a named baseline (only
 * from faithful runs), and checks a new run against a baseline with
 * statistical tolerance: distributions and rates, not single numbers.
 *
 * A case regresses when, against its baseline:
 * - detection is slower: the per-observer latencies are larger (one-sided
 *   permutation test, p < 0.01) and the median grew by more than 5%, or
 *   fewer observers detected the crash;
 * - it makes more mistakes: exact conditional Poisson test on the rate
 *   per pair-hour, p < 0.01;
 * - it costs more bandwidth: mean payload bytes per member per second up
 *   by more than 2%.
 * Those protocol figures are deterministic per seed, so a baseline saved on
 * another machine of the class holds. CPU, lateness and wall time are not:
 * they are judged against a build measured in the same session, case by
 * case in alternation (`bench_pair.ts`, `--against REV`).
 * A case whose new run is not faithful is inconclusive, never a pass.
 *
 * @module
 */

import { deriveSeed, seededPrng } from "../../lib/core/prng.ts";
import { largerPValue, poissonRateIncreasePValue } from "../../lib/core/stats.ts";
import { BENCH_SUITE, type BenchCase } from "../../scenarios/bench_suite.ts";
import { type MachineFacts, machineFacts } from "../os/readings.ts";
import type { RunResult } from "../run/result.ts";
import { writeJsonAtomic } from "../os/files.ts";
import { runScenario } from "../run/run.ts";
import { runHostile } from "./hostile.ts";
import { resolveScenario } from "../scenario/mod.ts";

/** What a case's run is compared by. */
export interface CaseFigures {
  /** The case id. */
  readonly id: string;
  /** The run was faithful and complete. */
  readonly faithful: boolean;
  /** Why not, if not. */
  readonly reasons: readonly string[];
  /** Per-observer detection latencies of the first crash (nominal ms), sorted. */
  readonly latenciesMs: readonly number[];
  /** Observers that detected it / live observers. */
  readonly detectedFraction: number | null;
  /** Median detection (nominal ms). */
  readonly medianMs: number | null;
  /** Mistakes and their exposure. */
  readonly mistakes: number;
  /** Pair-hours of exposure. */
  readonly pairHours: number;
  /** Mean payload bytes per member per nominal second. */
  readonly bytesPerSec: number;
  /** Harness + proxy CPU cores. */
  readonly cpuCores: number;
  /** (Harness + proxy CPU) per datagram the proxy relayed (µs), or null. */
  readonly cpuUsPerDatagram?: number | null;
  /** Peak RSS of the harness plus the proxy (bytes), or null. */
  readonly peakRssBytes?: number | null;
  /** Timer lateness p99 (real ms). */
  readonly latenessP99Ms: number;
  /** For an interrupted case: real seconds from the interrupt until the run had ended. */
  readonly stopSeconds?: number;
  /** For a hostile case: hostile datagrams sent, and the checks that did not hold (none: it holds). */
  readonly hostile?: { readonly sent: number; readonly failedChecks: readonly string[] };
  /** Real seconds the case took. */
  readonly wallSeconds: number;
}

/** A suite run. */
export interface SuiteResult {
  /** Layout version. */
  readonly schemaVersion: 1;
  /** When it ran. */
  readonly startedAt: string;
  /** Harness version. */
  readonly harnessVersion: string;
  /** The machine. */
  readonly machine: MachineFacts;
  /** Every case. */
  readonly cases: readonly CaseFigures[];
}

/** A saved baseline: a suite result with a name. */
export interface Baseline extends SuiteResult {
  /** The baseline's name. */
  readonly name: string;
}

/** One comparison. */
export interface CaseCheck {
  /** Case id. */
  readonly id: string;
  /** pass, regressed, inconclusive (unfaithful run), or missing from the baseline. */
  readonly status: "pass" | "regressed" | "inconclusive" | "no baseline";
  /** What regressed, or why inconclusive. */
  readonly findings: readonly string[];
}

/** Extracts a case's figures from its run. */
export function figuresOf(id: string, r: RunResult): CaseFigures {
  const crash = r.crashes.find((c) => c.cause === "crash");
  return {
    id,
    faithful: r.faithful && r.complete,
    reasons: [...r.noise.reasons, ...(r.complete ? [] : ["the run did not complete"])],
    latenciesMs: crash?.detection.latenciesMs ?? [],
    detectedFraction: crash ? crash.detection.detectedFraction : null,
    medianMs: crash?.detection.medianMs ?? null,
    mistakes: r.mistakes.count,
    pairHours: r.mistakes.pairHours,
    bytesPerSec: r.bandwidth.meanBytesPerSec,
    cpuCores: (r.noise.harnessCpuCores ?? 0) + (r.noise.proxyCpuCores ?? 0),
    cpuUsPerDatagram: r.noise.cpuUsPerRelayedDatagram,
    peakRssBytes: r.noise.harnessPeakRssBytes !== null && r.noise.proxyPeakRssBytes !== null
      ? r.noise.harnessPeakRssBytes + r.noise.proxyPeakRssBytes
      : null,
    latenessP99Ms: r.noise.latenessP99Ms,
    wallSeconds: r.wallSeconds,
  };
}

/** Compares one case with its baseline (pure). */
export function checkCase(current: CaseFigures, baseline: CaseFigures | undefined): CaseCheck {
  if (current.hostile !== undefined) {
    // A hostile case is judged by the study's checks, whatever its baseline.
    return current.hostile.failedChecks.length === 0
      ? { id: current.id, status: "pass", findings: [] }
      : { id: current.id, status: "regressed", findings: [...current.hostile.failedChecks] };
  }
  if (current.stopSeconds !== undefined) {
    // An interrupted case is judged by how soon it ended, whatever its baseline.
    return current.stopSeconds <= 5
      ? { id: current.id, status: "pass", findings: [] }
      : { id: current.id, status: "regressed", findings: [...current.reasons] };
  }
  if (!baseline) return { id: current.id, status: "no baseline", findings: [] };
  if (!current.faithful) return { id: current.id, status: "inconclusive", findings: [...current.reasons] };
  const findings: string[] = [];
  if (current.latenciesMs.length > 0 && baseline.latenciesMs.length > 0) {
    const p = largerPValue(current.latenciesMs, baseline.latenciesMs, seededPrng(deriveSeed(1, "bench", current.id)));
    const growth = (current.medianMs ?? 0) / (baseline.medianMs ?? 1) - 1;
    if (p < 0.01 && growth > 0.05) {
      findings.push(
        `detection slower: median ${(baseline.medianMs! / 1000).toFixed(2)} → ${
          (current.medianMs! / 1000).toFixed(2)
        } s ` +
          `(+${(growth * 100).toFixed(1)}%, permutation p = ${p.toFixed(4)})`,
      );
    }
  }
  if (baseline.detectedFraction !== null && (current.detectedFraction ?? 0) < baseline.detectedFraction) {
    findings.push(`fewer observers detected the crash: ${baseline.detectedFraction} → ${current.detectedFraction}`);
  }
  const pm = poissonRateIncreasePValue(current.mistakes, current.pairHours, baseline.mistakes, baseline.pairHours);
  if (pm < 0.01) {
    findings.push(`more mistakes: ${baseline.mistakes} → ${current.mistakes} (Poisson p = ${pm.toFixed(4)})`);
  }
  if (current.bytesPerSec > baseline.bytesPerSec * 1.02) {
    findings.push(
      `more bandwidth: ${baseline.bytesPerSec.toFixed(1)} → ${current.bytesPerSec.toFixed(1)} B/s per member (+${
        ((current.bytesPerSec / baseline.bytesPerSec - 1) * 100).toFixed(1)
      }%)`,
    );
  }
  // CPU, lateness and wall time depend on the machine: they are judged only against a reference run
  // in the same session (bench_pair.ts), never against figures saved elsewhere.
  return { id: current.id, status: findings.length > 0 ? "regressed" : "pass", findings };
}

/** Options of {@linkcode runSuite}. */
export interface SuiteOptions {
  /** Output directory (a subdirectory per case). */
  readonly outDir: string;
  /** Only these case ids. @default every case */
  readonly only?: readonly string[];
  /** Recorded in results. */
  readonly harnessVersion: string;
  /** Called before each case. */
  readonly onCase?: (c: BenchCase, index: number, total: number) => void;
  /** Aborting stops after the current case. */
  readonly signal?: AbortSignal;
}

/** Runs the suite and writes `suite.json`. */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const cases = BENCH_SUITE.filter((c) => !options.only || options.only.includes(c.id));
  const unknown = (options.only ?? []).filter((id) => !BENCH_SUITE.some((c) => c.id === id));
  if (unknown.length > 0) {
    throw new RangeError(
      `unknown bench case ${unknown.join(", ")}: cases are ${BENCH_SUITE.map((c) => c.id).join(", ")}`,
    );
  }
  const startedAt = new Date().toISOString();
  const figures: CaseFigures[] = [];
  for (const [i, c] of cases.entries()) {
    if (options.signal?.aborted) break;
    options.onCase?.(c, i, cases.length);
    // A case that is interrupted on purpose gets its own abort, after the suite's.
    const interrupt = new AbortController();
    options.signal?.addEventListener("abort", () => interrupt.abort(), { once: true });
    let interruptedAt = 0;
    const timer = c.interruptAfterMs === undefined ? undefined : setTimeout(() => {
      interruptedAt = performance.now();
      interrupt.abort();
    }, c.interruptAfterMs);
    if (c.hostileRate !== undefined) {
      figures.push(await hostileCase(c, options, interrupt.signal));
      continue;
    }
    const result = await runScenario({
      scenario: resolveScenario(c.scenario),
      outDir: `${options.outDir}/${c.id}`,
      harnessVersion: options.harnessVersion,
      signal: interrupt.signal,
    });
    clearTimeout(timer);
    const f = figuresOf(c.id, result);
    if (c.interruptAfterMs === undefined) figures.push(f);
    else {
      // Judged by how soon it ended, not by the run's figures (it is meant to be cut short and overloaded).
      const stopSeconds = (performance.now() - interruptedAt) / 1000;
      figures.push({
        ...f,
        faithful: stopSeconds <= 5 && result.reason === "interrupted",
        reasons: stopSeconds <= 5 ? [] : [`it took ${stopSeconds.toFixed(1)} s to end after the interrupt (limit 5 s)`],
        stopSeconds,
      });
    }
  }
  const suite: SuiteResult = {
    schemaVersion: 1,
    startedAt,
    harnessVersion: options.harnessVersion,
    machine: machineFacts(),
    cases: figures,
  };
  await writeJsonAtomic(`${options.outDir}/suite.json`, suite);
  return suite;
}

/** Runs a hostile case: the hostile study, quiet run first (its checks compare the mistakes of both). */
async function hostileCase(c: BenchCase, options: SuiteOptions, signal: AbortSignal): Promise<CaseFigures> {
  const report = await runHostile({
    scenario: resolveScenario(c.scenario),
    outDir: `${options.outDir}/${c.id}`,
    rate: c.hostileRate!,
    quietRun: true,
    signal,
    harnessVersion: options.harnessVersion,
  });
  const f = figuresOf(c.id, report.hostile);
  const failedChecks = report.checks.filter((x) => !x.holds).map((x) => `${x.what}: ${x.detail}`);
  return {
    ...f,
    // Unfaithful by design (foreign senders): the case stands or falls by the study's checks.
    faithful: failedChecks.length === 0,
    reasons: failedChecks,
    hostile: { sent: report.sent.toPrivate + report.sent.toPublic, failedChecks },
  };
}

/** The baseline name for this machine's class, e.g. `linux-x86_64-2cpu`. */
export function machineClass(): string {
  return `${Deno.build.os}-${Deno.build.arch}-${navigator.hardwareConcurrency}cpu`;
}

/** Where baselines live in the repository. */
export const BASELINE_DIR: URL = new URL("../../scenarios/baselines/", import.meta.url);

/** Saves a suite as a named baseline; refuses an unfaithful one. */
export async function saveBaseline(name: string, suite: SuiteResult): Promise<string> {
  const unfaithful = suite.cases.filter((c) => !c.faithful);
  if (unfaithful.length > 0) {
    throw new RangeError(
      `not saving baseline '${name}': unfaithful cases ${
        unfaithful.map((c) => `${c.id} (${c.reasons.join("; ")})`).join(", ")
      } — an unfaithful run is never a baseline`,
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new RangeError(`baseline name '${name}' must be letters, digits, '.', '_' or '-'`);
  }
  const path = new URL(`${name}.json`, BASELINE_DIR);
  await Deno.mkdir(BASELINE_DIR, { recursive: true });
  await writeJsonAtomic(path.pathname, { ...suite, name } satisfies Baseline);
  return path.pathname;
}

/** Loads a named baseline. */
export async function loadBaseline(name: string): Promise<Baseline> {
  const path = new URL(`${name}.json`, BASELINE_DIR);
  try {
    return JSON.parse(await Deno.readTextFile(path)) as Baseline;
  } catch {
    throw new RangeError(`no baseline '${name}' (looked for ${path.pathname})`);
  }
}

/** Checks a suite against a baseline. */
export function checkSuite(suite: SuiteResult, baseline: Baseline): CaseCheck[] {
  return suite.cases.map((c) => checkCase(c, baseline.cases.find((b) => b.id === c.id)));
}
