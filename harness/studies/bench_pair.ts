/**
 * `harness bench --check --against REV`: the machine-dependent figures (CPU,
 * timer lateness, wall time) judged against another build measured in the
 * same session on the same machine. REV is checked out in a temporary git
 * worktree; each benchmark case then runs once with each build, in
 * alternation (A B, then B A for the next case, so drift of the machine
 * cancels), every run in its own process through the builds' own CLIs.
 *
 * Verdicts: CPU regressed when the geometric mean of the per-case
 * current/reference CPU ratios exceeds 1.10, or one case's ratio exceeds 1.5
 * (with at least 0.02 cores more); lateness regressed for a case whose p99
 * is above twice the reference's and 2 ms more. Cases unfaithful in either
 * build are left out and named.
 *
 * @module
 */

import { BENCH_SUITE } from "../../scenarios/bench_suite.ts";
import { V8_FLAGS } from "../os/child.ts";
import type { CaseFigures, SuiteResult } from "./bench.ts";

/** One case measured with both builds. */
export interface PairedCase {
  /** Case id. */
  readonly id: string;
  /** The current build's figures. */
  readonly current: CaseFigures;
  /** The reference build's figures. */
  readonly reference: CaseFigures;
  /** current / reference harness + proxy CPU cores. */
  readonly cpuRatio: number;
  /** Whether the two builds gave the same protocol figures (median detection, mistakes, bytes). */
  readonly sameProtocolFigures: boolean;
}

/** The paired verdict. */
export interface PairedCheck {
  /** The reference revision. */
  readonly against: string;
  /** Every case. */
  readonly cases: readonly PairedCase[];
  /** Geometric mean of the CPU ratios over cases faithful in both builds. */
  readonly cpuRatioGeoMean: number | null;
  /** What regressed. */
  readonly findings: readonly string[];
  /** Cases left out (unfaithful in a build), with why. */
  readonly leftOut: readonly string[];
}

/** Options of {@linkcode runPairedSuite}. */
export interface PairedOptions {
  /** The reference revision (anything `git worktree add` takes). */
  readonly against: string;
  /** Where each case's runs go (`<dir>/<case>/current`, `<dir>/<case>/reference`). */
  readonly outDir: string;
  /** Only these case ids. @default every case */
  readonly only?: readonly string[];
  /** Called before each run. */
  readonly onRun?: (id: string, build: "current" | "reference") => void;
  /** Aborting stops after the current run. */
  readonly signal?: AbortSignal;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new RangeError(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Runs one case with the build rooted at `root`, in its own process; resolves to the case's figures. */
async function runCase(root: string, id: string, dir: string): Promise<CaseFigures> {
  const args = [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-env",
    "--allow-sys",
    "--allow-ffi",
    `--v8-flags=${V8_FLAGS}`,
    `${root}/harness/cli/main.ts`,
    "bench",
    "--cases",
    id,
    "--out",
    dir,
  ];
  // Older builds keep the CLI at harness/cli.ts.
  try {
    await Deno.stat(`${root}/harness/cli/main.ts`);
  } catch {
    args[args.indexOf(`${root}/harness/cli/main.ts`)] = `${root}/harness/cli.ts`;
  }
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: root, stdout: "null", stderr: "piped" }).output();
  let suite: SuiteResult;
  try {
    suite = JSON.parse(await Deno.readTextFile(`${dir}/suite.json`));
  } catch {
    throw new Error(`case ${id} in ${root} wrote no suite.json: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
  }
  const figures = suite.cases.find((c) => c.id === id);
  if (!figures) throw new Error(`case ${id} missing from ${dir}/suite.json`);
  return figures;
}

function sameProtocol(a: CaseFigures, b: CaseFigures): boolean {
  const close = (x: number | null, y: number | null, tol: number) =>
    x === y || (x !== null && y !== null && Math.abs(x - y) <= tol * Math.max(1, Math.abs(x), Math.abs(y)));
  return close(a.medianMs, b.medianMs, 0.02) && a.mistakes === b.mistakes && close(a.bytesPerSec, b.bytesPerSec, 0.01);
}

/** Runs the suite with the current build and REV in alternation and judges CPU and lateness pair by pair. */
export async function runPairedSuite(options: PairedOptions): Promise<PairedCheck> {
  const here = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  const top = await git(here, "rev-parse", "--show-toplevel");
  const tmp = await Deno.makeTempDir({ prefix: "bench-against-" });
  const refRoot = `${tmp}/tree`;
  await git(top, "worktree", "add", "--detach", refRoot, options.against);
  const cases = BENCH_SUITE.filter((c) => !options.only || options.only.includes(c.id));
  const paired: PairedCase[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      if (options.signal?.aborted) break;
      const order: ("current" | "reference")[] = i % 2 === 0 ? ["reference", "current"] : ["current", "reference"];
      const figures: Partial<Record<"current" | "reference", CaseFigures>> = {};
      for (const build of order) {
        options.onRun?.(c.id, build);
        figures[build] = await runCase(
          build === "current" ? here : refRoot,
          c.id,
          `${options.outDir}/${c.id}/${build}`,
        );
      }
      const current = figures.current!;
      const reference = figures.reference!;
      paired.push({
        id: c.id,
        current,
        reference,
        cpuRatio: current.cpuCores / Math.max(reference.cpuCores, 1e-9),
        sameProtocolFigures: sameProtocol(current, reference),
      });
    }
  } finally {
    await git(top, "worktree", "remove", "--force", refRoot).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  return judgePairs(options.against, paired);
}

/** The verdict on paired cases (pure). */
export function judgePairs(against: string, cases: readonly PairedCase[]): PairedCheck {
  const findings: string[] = [];
  const leftOut: string[] = [];
  const ratios: number[] = [];
  for (const c of cases) {
    if (!c.current.faithful || !c.reference.faithful) {
      leftOut.push(`${c.id} (${!c.current.faithful ? "current" : "reference"} run not faithful)`);
      continue;
    }
    ratios.push(c.cpuRatio);
    if (c.cpuRatio > 1.5 && c.current.cpuCores - c.reference.cpuCores > 0.02) {
      findings.push(
        `${c.id}: more CPU: ${c.reference.cpuCores.toFixed(3)} → ${c.current.cpuCores.toFixed(3)} cores (×${
          c.cpuRatio.toFixed(2)
        })`,
      );
    }
    const ref = c.reference.latenessP99Ms;
    if (c.current.latenessP99Ms > Math.max(2 * ref, ref + 2)) {
      findings.push(
        `${c.id}: noisier harness: lateness p99 ${ref.toFixed(1)} → ${c.current.latenessP99Ms.toFixed(1)} ms`,
      );
    }
  }
  const geo = ratios.length > 0 ? Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length) : null;
  if (geo !== null && geo > 1.1) {
    findings.push(`more CPU across the suite: geometric mean of current/reference ratios ×${geo.toFixed(3)} (> ×1.10)`);
  }
  return { against, cases, cpuRatioGeoMean: geo, findings, leftOut };
}
