// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness bench`.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { dim, red, yellow } from "@std/fmt/colors";
import { suiteReport } from "../../report/html_report.ts";
import { type Baseline, checkSuite, loadBaseline, machineClass, runSuite, saveBaseline } from "../../studies/bench.ts";
import { BENCH_SUITE } from "../../../scenarios/bench_suite.ts";
import { toTable } from "../../studies/model_table.ts";

import {
  type CliContext,
  defaultOutDir,
  HARNESS_VERSION,
  prepareOutDir,
  UsageError,
  withInterrupt,
  writeReportSafely,
} from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("bench")
    .description(
      "run the benchmark suite; --save NAME stores a baseline (faithful runs only), --check NAME compares against one " +
        "(exit 3: regressions, 4: inconclusive)",
    )
    .option("--cases <ids>", `only these cases (comma list of ${BENCH_SUITE.map((c) => c.id).join(", ")})`)
    .option("--save [name]", "save the run as a baseline (default: this machine's class)")
    .option("--check [name]", "compare the run with a baseline (default: this machine's class)")
    .option("--force", "replace --out whole if it already holds results")
    .option("-o, --out <dir>", "output directory (default runs/bench-<time>)")
    .option("--json", "print the suite (and the check) as JSON")
    .action(async (opts) => {
      const only = opts.cases?.split(",").map((x) => x.trim());
      const unknown = (only ?? []).filter((id) => !BENCH_SUITE.some((c) => c.id === id));
      if (unknown.length > 0) {
        throw new UsageError(
          `--cases: unknown case ${unknown.join(", ")}; cases are ${BENCH_SUITE.map((c) => c.id).join(", ")}`,
        );
      }
      const checkName = opts.check === undefined ? undefined : opts.check === true ? machineClass() : opts.check;
      const saveName = opts.save === undefined ? undefined : opts.save === true ? machineClass() : opts.save;
      let baseline: Baseline | undefined;
      if (checkName) {
        try {
          baseline = await loadBaseline(checkName);
        } catch (error) {
          throw new UsageError(`--check: ${(error as Error).message}`);
        }
      }
      const outDir = opts.out ?? defaultOutDir("bench");
      await prepareOutDir(outDir, opts.force === true);
      const suite = await withInterrupt((signal) =>
        runSuite({
          outDir,
          harnessVersion: HARNESS_VERSION,
          signal,
          ...(only ? { only } : {}),
          onCase: (c, i, total) => console.error(dim(`[${i + 1}/${total}] ${c.id}: ${c.what}`)),
        })
      );
      const checks = baseline ? checkSuite(suite, baseline) : undefined;
      await writeReportSafely(outDir, () => suiteReport(suite));
      if (opts.json) console.log(JSON.stringify({ suite, checks }, null, 2));
      else {
        console.log(
          toTable(suite.cases.map((c) => {
            const check = checks?.find((x) => x.id === c.id);
            return {
              case: c.id,
              faithful: c.faithful ? "yes" : "NO",
              "median detect (s)": c.medianMs === null ? null : c.medianMs / 1000,
              detected: c.detectedFraction,
              mistakes: c.mistakes,
              "B/s/member": c.bytesPerSec,
              "CPU cores": c.cpuCores,
              "lateness p99 (ms)": c.latenessP99Ms,
              "wall (s)": c.wallSeconds,
              ...(checks ? { check: check?.status ?? "—" } : {}),
            };
          })).trimEnd(),
        );
        for (const check of checks ?? []) {
          for (const f of check.findings) {
            console.log(
              `${check.status === "regressed" ? red("REGRESSED") : yellow("INCONCLUSIVE")} ${check.id}: ${f}`,
            );
          }
        }
        console.log(dim(`suite: ${outDir}/suite.json`));
      }
      if (saveName) {
        try {
          console.log(dim(`baseline saved: ${await saveBaseline(saveName, suite)}`));
        } catch (error) {
          throw new UsageError(`--save: ${(error as Error).message}`);
        }
      }
      if (checks?.some((c) => c.status === "regressed")) ctx.exitCode = 3;
      else if (checks?.some((c) => c.status === "inconclusive" || c.status === "no baseline")) ctx.exitCode = 4;
    });
}
