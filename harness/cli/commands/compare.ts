// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness compare`.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { dim, red } from "@std/fmt/colors";
import { runComparison } from "../../studies/compare.ts";
import {
  applyVariant,
  COMPARABLE,
  type Comparable,
  DEFAULT_VARIANTS,
  externalVariants,
} from "../../studies/compare_variants.ts";
import { resolveScenario, ScenarioError } from "../../scenario/mod.ts";
import { toTable } from "../../studies/model_table.ts";

import {
  type CliContext,
  defaultOutDir,
  HARNESS_VERSION,
  integer,
  loadScenario,
  number,
  prepareOutDir,
  UsageError,
} from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("compare")
    .description(
      "run one scenario once per variant (same group, faults and seed) and print them side by side: detectors " +
        "(basic, swim, lifeguard, phi, neighbor; real memberlist and serf, which make every variant run in real " +
        "time), gossip styles (push, pull, push-pull, digest, topology-aware, " +
        "multi-level) or catastrophe recovery (broadcast, no-broadcast)",
    )
    .argument("<scenario>", `built-in scenario name or a scenario .json file`)
    .option("--variants <list>", `comma list of ${COMPARABLE.join(", ")}`, DEFAULT_VARIANTS.join(","))
    .option("--detectors <list>", "alias of --variants")
    .option("--equal-budget", "scale SWIM's, Lifeguard's and the neighbour detector's periods to spend B (pilot run)")
    .option("-n, --members <n>", "members in the group (2-8187)", integer(2, 8187))
    .option("--loss <p>", "Bernoulli loss the proxy applies to every link, in [0, 1]", number(0, 1))
    .option("--speedup <x>", "time compression (> 0)", number(0, 1000, { openLow: true }))
    .option("--seed <s>", "seed of every random choice", integer(0, 0xffffffff))
    .option("--episodes", "measure propagation episodes (infection curves; gossip variants only)")
    .option("--simulated", "also run each variant in the simulator, in a row beside its real run ('swim (simulated)')")
    .option("--force", "replace --out whole if it already holds results")
    .option("-o, --out <dir>", "output directory (default runs/compare-<time>)")
    .option("--json", "print the rows as JSON")
    .action(async (name, opts) => {
      const flag = opts.detectors !== undefined ? "--detectors" : "--variants";
      const variants = (opts.detectors ?? opts.variants).split(",").map((d) => d.trim());
      const bad = variants.filter((d) => !(COMPARABLE as readonly string[]).includes(d));
      if (bad.length > 0) {
        throw new UsageError(`${flag}: unknown ${bad.join(", ")}; expected ${COMPARABLE.join(", ")}`);
      }
      const external = externalVariants(variants as Comparable[]);
      const they = `${external.join(" and ")} ${external.length === 1 ? "runs" : "run"}`;
      if (external.length > 0 && opts.speedup !== undefined && opts.speedup !== 1) {
        throw new UsageError(
          `--speedup: ${they} in real time only, so a comparison with it runs every variant at ` +
            `speed-up 1: current value is ${opts.speedup}`,
        );
      }
      if (external.length > 0 && opts.simulated) {
        throw new UsageError(
          `--simulated: ${they} as real programs only, with no simulated counterpart; compare without --simulated`,
        );
      }
      if (external.length > 0 && opts.equalBudget) {
        throw new UsageError(
          `--equal-budget: ${they} in real time only, and budget pilots need time compression; ` +
            "compare without --equal-budget",
        );
      }
      const input = {
        ...(await loadScenario(name)),
        ...(opts.members !== undefined ? { members: opts.members } : {}),
        ...(opts.loss !== undefined ? { loss: opts.loss } : {}),
        ...(opts.speedup !== undefined ? { speedup: opts.speedup } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.episodes ? { measureEpisodes: true } : {}),
        ...(external.length > 0 ? { speedup: 1 } : {}),
      };
      for (const v of variants) {
        try {
          resolveScenario(applyVariant(input, v as Comparable));
        } catch (error) {
          if (error instanceof ScenarioError) throw new UsageError(`${flag}: variant ${v}: ${error.message}`);
          throw error;
        }
      }
      const outDir = opts.out ?? defaultOutDir("compare");
      await prepareOutDir(outDir, opts.force === true);
      const rows = await runComparison(input, variants as Comparable[], {
        outDir,
        harnessVersion: HARNESS_VERSION,
        equalBudget: opts.equalBudget === true,
        simulated: opts.simulated === true,
        onRun: (v, pilot) => console.error(dim(pilot ? `pilot of ${v} (budget)…` : `running ${v}…`)),
      });
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else {
        console.log(
          toTable(rows.map((r) => ({
            variant: r.variant,
            faithful: r.faithful ? "yes" : "NO",
            "period (s)": r.periodMs / 1000,
            "first (s)": r.firstMs === null ? null : r.firstMs / 1000,
            "median (s)": r.medianMs === null ? null : r.medianMs / 1000,
            "full (s)": r.fullMs === null ? null : r.fullMs / 1000,
            mistakes: r.mistakes,
            "B/s/member": r.bytesPerSec,
            ...(rows.some((x) => x.tcpBytesPerSec !== null) ? { "TCP B/s": r.tcpBytesPerSec } : {}),
            "to 99% (periods)": r.infection?.p99Periods ?? null,
            "re-merged": r.remerge ? `${r.remerge.remerged}/${r.remerge.pairs}` : null,
          }))).trimEnd(),
        );
        console.log(dim(`results: ${outDir}/compare.md · ${outDir}/compare.json`));
      }
      for (const r of rows.filter((r) => r.error)) console.error(red(`${r.variant}: ${r.error}`));
      // Some variant has no numbers: a harness failure, with the other rows written.
      if (rows.some((r) => r.error)) ctx.exitCode = 1;
    });
}
