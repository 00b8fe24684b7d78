// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness validate`.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import { dim, setColorEnabled } from "@std/fmt/colors";
import { createProgress } from "../progress.ts";
import { renderValidation } from "../../report/summary.ts";
import { revalidate, runValidation, validationScenario } from "../../studies/validate_run.ts";
import { runReport } from "../../report/html_report.ts";

import {
  type CliContext,
  defaultOutDir,
  HARNESS_VERSION,
  integer,
  number,
  prepareOutDir,
  UsageError,
  withInterrupt,
  writeReportSafely,
} from "../common.ts";

/** Phase layouts a simulated validation pools unless `--layouts` says otherwise. */
const SIMULATED_LAYOUTS_DEFAULT = 10;

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("validate")
    .description(
      "run the basic detector on real UDP (or simulated, --simulate) and confront the paper's P_mistake model with " +
        "measured episodes",
    )
    .option("-n, --members <n>", "members n (3-8187)", integer(3, 8187), 50)
    .option("-f, --failed <f>", "members failed from the start, f (0 <= f <= n-2)", integer(0, 8185), 1)
    .option(
      "--loss <p>",
      "loss on every link, in [0, 1) (the model is given the same)",
      number(0, 1, { openHigh: true }),
      0,
    )
    .option("--budget <bytesPerSec>", "per-member budget B (>= 8)", number(8, 1e9), 250)
    .option(
      "--p-mistake <p>",
      "target that sets T_fail, in (0, 1)",
      number(0, 1, { openLow: true, openHigh: true }),
      1e-3,
    )
    .option("--speedup <x>", "time compression (> 0)", number(0, 1000, { openLow: true }), 10)
    .option("--episodes <k>", "episodes to measure (sets the run length)", integer(100, 1e8), 20000)
    .option("--seed <s>", "seed of every random choice", integer(0, 0xffffffff), 1)
    .option(
      "--simulate",
      "measure in the simulator (virtual time, no sockets): 10^7 episodes, q(T) down to 10^-6, in minutes",
    )
    .option(
      "--layouts <L>",
      "with --simulate: spread the episodes over L runs (seeds s..s+L-1, independent phase layouts), pooled " +
        "(default 10 with --simulate: the tail of q depends on the layout; a real run is one)",
      integer(1, 1000),
    )
    .option("--force", "replace --out whole if it already holds results")
    .option("-o, --out <dir>", "output directory (default runs/validate-<time>)")
    .option("--json", "print validation.json to stdout instead of the table")
    .option("--from <dir>", "re-analyse a saved validation run (result.json + episodes.csv) instead of running")
    .addOption(new Option("--no-progress", "no progress display"))
    .addOption(new Option("--no-color", "no colors"))
    .action(async (opts) => {
      if (!opts.color) setColorEnabled(false);
      if (opts.from) {
        let file;
        try {
          file = await revalidate(opts.from);
        } catch (error) {
          throw new UsageError(
            `--from: cannot re-analyse '${opts.from}': ${error instanceof Error ? error.message : error}`,
          );
        }
        if (opts.json) console.log(JSON.stringify(file, null, 2));
        else console.log(renderValidation(file, opts.from));
        return;
      }
      if (opts.failed > opts.members - 2) {
        throw new UsageError(
          `--failed: must be in [0, members - 2] = [0, ${opts.members - 2}]: current value is ${opts.failed}`,
        );
      }
      if (opts.layouts !== undefined && opts.layouts > 1 && !opts.simulate) {
        throw new UsageError(
          `--layouts: only with --simulate (a real run is one layout): current value is ${opts.layouts}`,
        );
      }
      const layouts = opts.layouts ?? (opts.simulate ? SIMULATED_LAYOUTS_DEFAULT : 1);
      if (!opts.color) setColorEnabled(false);
      const outDir = opts.out ?? defaultOutDir("validate");
      await prepareOutDir(outDir, opts.force === true);
      const base = {
        members: opts.members,
        failed: opts.failed,
        loss: opts.loss,
        budgetBytesPerSec: opts.budget,
        pMistake: opts.pMistake,
        speedup: opts.speedup,
        episodes: opts.episodes,
        seed: opts.seed,
        outDir,
        simulate: opts.simulate === true,
        layouts,
      };
      const scenario = validationScenario(base);
      const progress = createProgress(opts.progress);
      if (!opts.json) {
        console.error(dim(
          `validating: n=${opts.members} f=${opts.failed} loss=${opts.loss}, ${
            (scenario.durationMs / 1000).toFixed(0)
          } s nominal ` +
            (opts.simulate
              ? `in virtual time${layouts > 1 ? ` over ${layouts} layouts` : ""}`
              : `at speed-up ${opts.speedup}× (~${(scenario.durationMs / opts.speedup / 1000).toFixed(0)} s real)`) +
            ` → ${outDir}`,
        ));
      }
      try {
        const { file, result } = await withInterrupt((signal) =>
          runValidation({ ...base, signal, onProgress: (p) => progress.update(p), harnessVersion: HARNESS_VERSION })
        );
        progress.stop();
        await writeReportSafely(outDir, () => runReport(result, file));
        if (opts.json) console.log(JSON.stringify(file, null, 2));
        else console.log(renderValidation(file, outDir));
        if (result.interrupted) ctx.exitCode = 130;
      } finally {
        progress.stop();
      }
    });
}
