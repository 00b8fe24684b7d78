// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness hostile`: a scenario quiet, then under hostile datagrams at the
 * members' private ports and the proxy's public ports
 * (`../../studies/hostile.ts`). Exit 0 when every check holds, 1 when one
 * does not (or the harness failed), 130 when interrupted.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import { dim, green, red } from "@std/fmt/colors";
import { SCENARIOS } from "../../../scenarios/mod.ts";
import { DETECTOR_NAMES } from "../../members/registry.ts";
import { runHostile } from "../../studies/hostile.ts";
import {
  type CliContext,
  defaultOutDir,
  flagOverrides,
  HARNESS_VERSION,
  integer,
  loadScenario,
  number,
  resolveWithFlags,
  withInterrupt,
} from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("hostile")
    .description(
      "run a scenario quiet, then while a foreign sender blasts hostile datagrams at member and proxy ports; " +
        "check that nothing crashes, everything is counted and dropped, and the verdict says why",
    )
    .argument(
      "[scenario]",
      `built-in scenario name (${Object.keys(SCENARIOS).join(", ")}) or a scenario .json file`,
      "demo",
    )
    .option("-n, --members <n>", "members in the group (2-8187)", integer(2, 8187))
    .addOption(new Option("--detector <kind>", "member kind").choices(DETECTOR_NAMES))
    .option(
      "--seed <s>",
      "seed of the scenario (0-4294967295); the hostile stream derives from it",
      integer(0, 0xffffffff),
    )
    .option("--speedup <x>", "time compression (> 0)", number(0, 1000, { openLow: true }))
    .option("--duration <seconds>", "run length in nominal seconds (> 0)", number(0, 1e7, { openLow: true }))
    .option("--rate <n>", "hostile datagrams per second over every port (1-20000)", integer(1, 20_000), 500)
    .option(
      "--private-share <p>",
      "fraction aimed at members' private ports, the rest at the proxy's",
      number(0, 1),
      0.5,
    )
    .addOption(new Option("--no-quiet", "skip the run without hostile traffic (no mistakes comparison)"))
    .option("-o, --out <dir>", "output directory (quiet/ and hostile/ runs inside; default runs/hostile-<time>)")
    .option("--json", "print the report as JSON")
    .action(async (name, opts) => {
      const input = await loadScenario(name);
      const overrides = flagOverrides({
        members: opts.members,
        detector: opts.detector,
        seed: opts.seed,
        speedup: opts.speedup,
        duration: opts.duration === undefined ? undefined : opts.duration * 1000,
      });
      const scenario = resolveWithFlags(input, overrides);
      const outDir = opts.out ?? defaultOutDir(`hostile-${scenario.name}`);
      const report = await withInterrupt(
        (signal) =>
          runHostile({
            scenario,
            outDir,
            rate: opts.rate,
            privateShare: opts.privateShare,
            quietRun: opts.quiet,
            signal,
            harnessVersion: HARNESS_VERSION,
            onStep: (label) => console.error(dim(`… ${label}`)),
          }),
        () => console.error(dim("\ninterrupted: stopping members, proxy and sender, writing partial results…")),
      );
      if (report.hostile.interrupted) ctx.exitCode = 130;
      else if (!report.holds) ctx.exitCode = 1;
      if (opts.json) {
        const { hostile, quiet, ...rest } = report;
        console.log(
          JSON.stringify(
            { ...rest, hostileDir: `${outDir}/hostile`, quietDir: quiet ? `${outDir}/quiet` : null },
            null,
            2,
          ),
        );
        void hostile;
        return;
      }
      const s = report.sent;
      console.log(
        `'${scenario.name}' (${scenario.detector}, ${scenario.members} members) under ${report.rate} hostile datagrams/s ` +
          `(seed ${report.seed}): ${s.toPrivate + s.toPublic} sent in ${s.seconds.toFixed(1)} s ` +
          `(${(s.bytes / 1e6).toFixed(1)} MB; ${
            Object.entries(s.byCategory).map(([c, k]) => `${k} ${c}`).join(", ")
          }; largest ${s.largestBytes} bytes)`,
      );
      for (const c of report.checks) {
        console.log(`  ${c.holds ? green("✓") : red("✗")} ${c.what}: ${c.detail}`);
      }
      console.log(dim(`results: ${outDir}/hostile/result.json${report.quiet ? `, ${outDir}/quiet/result.json` : ""}`));
    });
}
