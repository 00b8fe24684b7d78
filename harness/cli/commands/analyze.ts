// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness analyze DIR`: recomputes a run's `result.json` and reports from
 * its journal alone, without running anything.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import { setColorEnabled } from "@std/fmt/colors";
import { analyzeJournal } from "../../journal/analyze.ts";
import { runReport } from "../../report/html_report.ts";
import { renderSummary } from "../../report/summary.ts";
import { type CliContext, UsageError, writeReportSafely } from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, _ctx: CliContext): void {
  program.command("analyze")
    .description("recompute result.json and the reports of a run from its journal (events.jsonl) alone")
    .argument("<dir>", "a run's output directory (holding events.jsonl)")
    .option("-o, --out <dir>", "where to write result.json and the reports (default: the run's directory)")
    .option("--json", "print result.json to stdout instead of the summary")
    .addOption(new Option("--no-color", "no colors"))
    .action(async (dir, opts) => {
      if (!opts.color) setColorEnabled(false);
      try {
        await Deno.stat(`${dir}/events.jsonl`);
      } catch {
        throw new UsageError(`<dir>: '${dir}' holds no events.jsonl (a run's output directory is expected)`);
      }
      const out = opts.out ?? dir;
      let analysis;
      try {
        analysis = await analyzeJournal(dir, out);
      } catch (error) {
        if (error instanceof RangeError) throw new UsageError(`<dir>: ${error.message}`);
        throw error;
      }
      await writeReportSafely(out, () => runReport(analysis.result));
      if (opts.json) console.log(JSON.stringify(analysis.result, null, 2));
      else console.log(renderSummary(analysis.result, out));
    });
}
