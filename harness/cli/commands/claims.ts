// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness claims`.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import { bold, dim, green, red, setColorEnabled, yellow } from "@std/fmt/colors";
import { recomposeClaims, runClaims } from "../../studies/claims_runs.ts";

import { type CliContext, defaultOutDir, HARNESS_VERSION, integer, number, withInterrupt } from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("claims")
    .description(
      "confront each quantitative claim of the paper and lectures with measurements; writes claims.md and claims.json",
    )
    .option(
      "--scale <x>",
      "multiply every run's episode count (0.1 for a quick look, ~1 min; 1 takes ~10 min)",
      number(0.01, 100),
      1,
    )
    .option("--speedup <x>", "time compression of every run (> 0)", number(0, 1000, { openLow: true }), 10)
    .option("--seed <s>", "seed of every random choice", integer(0, 0xffffffff), 1)
    .option("-o, --out <dir>", "output directory (default runs/claims-<time>)")
    .option("--json", "print claims.json to stdout")
    .option("--from <dir>", "recompose the report from a previous claims directory instead of running")
    .addOption(new Option("--no-color", "no colors"))
    .action(async (opts) => {
      if (!opts.color) setColorEnabled(false);
      const outDir = opts.from ?? opts.out ?? defaultOutDir("claims");
      let interrupted = false;
      const report = opts.from ? await recomposeClaims(opts.from) : await withInterrupt((signal) =>
        runClaims({
          outDir,
          scale: opts.scale,
          speedup: opts.speedup,
          seed: opts.seed,
          signal,
          harnessVersion: HARNESS_VERSION,
          onRun: (name, i, total) => console.error(dim(`[${i + 1}/${total}] ${name}`)),
        }), () => interrupted = true);
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else {
        for (const c of report.claims) {
          const colour = c.verdict === "holds" ? green : c.verdict === "does not hold" ? red : yellow;
          console.log(
            `${colour(bold(c.verdict.padEnd(13)))} ${c.claim}\n${dim("  model:    ")}${c.model}\n${
              dim("  measured: ")
            }${c.measured}`,
          );
        }
        console.log(dim(`report: ${outDir}/claims.md · ${outDir}/claims.json`));
      }
      if (interrupted) ctx.exitCode = 130;
    });
}
