// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness bench`.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { dim, red, yellow } from "@std/fmt/colors";
import { suiteReport } from "../../report/html_report.ts";
import {
  type Baseline,
  checkSuite,
  loadBaseline,
  machineClass,
  runSuite,
  saveBaseline,
  type SuiteResult,
} from "../../studies/bench.ts";
import { BENCH_SUITE } from "../../../scenarios/bench_suite.ts";
import { toTable } from "../../studies/model_table.ts";
import { type PairedCheck, runPairedSuite } from "../../studies/bench_pair.ts";
import { machineFacts } from "../../os/readings.ts";
import { writeJsonAtomic } from "../../os/files.ts";

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
    .option(
      "--against <rev>",
      "judge CPU and timer lateness against build REV (a git revision) run case by case in alternation in this session",
    )
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
      let paired: PairedCheck | undefined;
      const suite = opts.against
        ? await withInterrupt(async (signal) => {
          try {
            paired = await runPairedSuite({
              against: opts.against!,
              outDir,
              signal,
              ...(only ? { only } : {}),
              onRun: (id, build) => console.error(dim(`${id}: ${build} build…`)),
            });
          } catch (error) {
            if (error instanceof RangeError) throw new UsageError(`--against: ${error.message}`);
            throw error;
          }
          const result: SuiteResult = {
            schemaVersion: 1,
            startedAt: new Date().toISOString(),
            harnessVersion: HARNESS_VERSION,
            machine: machineFacts(),
            cases: paired.cases.map((c) => c.current),
          };
          await writeJsonAtomic(`${outDir}/suite.json`, result);
          await writeJsonAtomic(`${outDir}/paired.json`, paired);
          return result;
        })
        : await withInterrupt((signal) =>
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
              "µs/datagram": c.cpuUsPerDatagram ?? null,
              "peak RSS (MB)": c.peakRssBytes ? c.peakRssBytes / 2 ** 20 : null,
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
        if (paired) {
          console.log(
            toTable(paired.cases.map((c) => ({
              case: c.id,
              "CPU current": c.current.cpuCores,
              "CPU reference": c.reference.cpuCores,
              ratio: c.cpuRatio,
              "lateness p99 current": c.current.latenessP99Ms,
              "lateness p99 reference": c.reference.latenessP99Ms,
              "same protocol figures": c.sameProtocolFigures ? "yes" : "NO",
            }))).trimEnd(),
          );
          console.log(
            `against ${paired.against}: CPU ratio geometric mean ${paired.cpuRatioGeoMean?.toFixed(3) ?? "—"}` +
              (paired.leftOut.length > 0 ? dim(` (left out: ${paired.leftOut.join(", ")})`) : ""),
          );
          for (const f of paired.findings) console.log(`${red("REGRESSED")} ${f}`);
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
      if (checks?.some((c) => c.status === "regressed") || (paired?.findings.length ?? 0) > 0) ctx.exitCode = 3;
      else if (checks?.some((c) => c.status === "inconclusive" || c.status === "no baseline")) ctx.exitCode = 4;
    });
}
