// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness agreement`: each setting on real sockets and in the simulator
 * with the same seeds, side by side (`../../studies/agreement.ts`).
 *
 * Exit codes: 0 every row agrees, 3 some row disagrees, 4 some row is
 * inconclusive (a real run was not faithful), 130 interrupted.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import { bold, dim, green, red, setColorEnabled, yellow } from "@std/fmt/colors";
import { AGREEMENT_SETTINGS, recomposeAgreement, runAgreement } from "../../studies/agreement.ts";
import { toTable } from "../../studies/model_table.ts";
import {
  type CliContext,
  defaultOutDir,
  HARNESS_VERSION,
  integer,
  prepareOutDir,
  UsageError,
  withInterrupt,
} from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  const ids = AGREEMENT_SETTINGS.map((s) => s.id);
  program.command("agreement")
    .description(
      "run each setting on real sockets and simulated with the same seeds and check they agree: detection medians " +
        "within 10%, mistakes consistent (exact Poisson test), bandwidth within 2%; writes agreement.md and " +
        "agreement.json (exit 3 when a row disagrees, 4 when inconclusive)",
    )
    .option("--settings <list>", `comma list of ${ids.join(", ")}`, ids.join(","))
    .option("--seeds <k>", "runs per setting and side (seeds s, s+1, ...), one crash each", integer(1, 100), 3)
    .option("--seed <s>", "first seed", integer(0, 0xffffffff), 1)
    .option("--force", "replace --out whole if it already holds results")
    .option("-o, --out <dir>", "output directory (default runs/agreement-<time>)")
    .option("--json", "print agreement.json to stdout instead of the table")
    .option("--from <dir>", "judge the runs saved in a previous agreement directory again instead of running")
    .addOption(new Option("--no-color", "no colors"))
    .action(async (opts) => {
      if (!opts.color) setColorEnabled(false);
      const chosen = opts.settings.split(",").map((s) => s.trim());
      const bad = chosen.filter((s) => !ids.includes(s));
      if (bad.length > 0) throw new UsageError(`--settings: unknown ${bad.join(", ")}; expected ${ids.join(", ")}`);
      const outDir = opts.from ?? opts.out ?? defaultOutDir("agreement");
      if (!opts.from) await prepareOutDir(outDir, opts.force === true);
      let interrupted = false;
      const report = opts.from ? await recomposeAgreement(opts.from) : await withInterrupt(
        (signal) =>
          runAgreement({
            outDir,
            harnessVersion: HARNESS_VERSION,
            settings: AGREEMENT_SETTINGS.filter((s) => chosen.includes(s.id)),
            seeds: opts.seeds,
            seed: opts.seed,
            signal,
            onRun: (id, seed, mode) => console.error(dim(`${id} seed ${seed}: ${mode}…`)),
          }),
        () => interrupted = true,
      );
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else {
        const s = (ms: number | null) => (ms === null ? null : ms / 1000);
        console.log(
          toTable(report.rows.map((r) => ({
            setting: r.id,
            "median real (s)": s(r.real.detectionMedianMs),
            "median sim (s)": s(r.simulated.detectionMedianMs),
            "ratio": r.detectionRatio,
            "mistakes real/sim": `${r.real.mistakes}/${r.simulated.mistakes}`,
            "declarations real/sim": `${r.real.declarations}/${r.simulated.declarations}`,
            "p": r.mistakesP,
            "B/s real": r.real.bytesPerSec,
            "B/s sim": r.simulated.bytesPerSec,
            "B/s ratio": r.bandwidthRatio,
            verdict: r.verdict,
          }))).trimEnd(),
        );
        for (const r of report.rows) {
          const colour = r.verdict === "agree" ? green : r.verdict === "disagree" ? red : yellow;
          console.log(
            `${colour(bold(r.verdict.padEnd(12)))} ${r.id}${r.findings.length ? `: ${r.findings.join("; ")}` : ""}`,
          );
        }
        console.log(dim(`results: ${outDir}/agreement.md · ${outDir}/agreement.json`));
      }
      if (interrupted) ctx.exitCode = 130;
      else if (report.rows.some((r) => r.verdict === "disagree")) ctx.exitCode = 3;
      else if (report.rows.some((r) => r.verdict === "inconclusive")) ctx.exitCode = 4;
    });
}
