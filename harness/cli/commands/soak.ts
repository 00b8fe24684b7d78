// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness soak`: an hour of real time at 1000 members with a repeating
 * fault schedule; fails on memory growth or drops at the run's own sockets.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { dim, green, red } from "@std/fmt/colors";
import { runSoak } from "../../studies/soak.ts";
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
  program.command("soak")
    .description(
      "a long real-time run (default 1 h, 1000 members) with a repeating fault schedule: fails when RSS grows more " +
        "than 5% after warm-up or the kernel drops a datagram at the run's own sockets",
    )
    .option("--seconds <s>", "run length in (real = nominal) seconds", integer(30, 7 * 24 * 3600), 3600)
    .option("-n, --members <n>", "members (2-8187)", integer(2, 8187), 1000)
    .option("--detector <name>", "basic (the paper's) or swim (memberlist's LAN timings, Lifeguard on)", "basic")
    .option("--cycle <s>", "seconds between repetitions of the fault cycle", integer(10, 86_400), 600)
    .option("--warmup <s>", "seconds not judged for memory growth (default max(300, 10%))", integer(0, 86_400))
    .option("--seed <s>", "seed of every random choice", integer(0, 0xffffffff), 1)
    .option("--force", "replace --out whole if it already holds results")
    .option("-o, --out <dir>", "output directory (default runs/soak-<time>)")
    .option("--json", "print soak.json")
    .action(async (opts) => {
      if (opts.detector !== "basic" && opts.detector !== "swim") {
        throw new UsageError(`--detector: must be basic or swim: current value is ${opts.detector}`);
      }
      const outDir = opts.out ?? defaultOutDir("soak");
      await prepareOutDir(outDir, opts.force === true);
      console.error(dim(`soak: ${opts.members} members, ${opts.detector}, ${opts.seconds} s real time → ${outDir}`));
      const report = await withInterrupt((signal) =>
        runSoak({
          outDir,
          members: opts.members,
          seconds: opts.seconds,
          detector: opts.detector as "basic" | "swim",
          cycleSeconds: opts.cycle,
          ...(opts.warmup !== undefined ? { warmupSeconds: opts.warmup } : {}),
          seed: opts.seed,
          signal,
          harnessVersion: HARNESS_VERSION,
        })
      );
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else {
        const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
        const g = report.harnessRss;
        console.log(
          (report.passed ? green("SOAK PASSED") : red(`SOAK FAILED: ${report.failures.join("; ")}`)) +
            dim(` · ${report.setup.members} members, ${report.setup.detector}, ${report.setup.seconds} s`),
        );
        console.log(
          `harness RSS ${mb(g.afterWarmupBytes)} → ${mb(g.endBytes)} (${(g.growth * 100).toFixed(1)}%)` +
            (report.proxyRss
              ? ` · proxy ${mb(report.proxyRss.afterWarmupBytes)} → ${mb(report.proxyRss.endBytes)} (${
                (report.proxyRss.growth * 100).toFixed(1)
              }%)`
              : "") +
            ` · kernel drops at own sockets ${
              report.kernelDropsOwnSockets ?? "not measured"
            } (machine-wide ${report.machineRcvbufErrors})` +
            ` · CPU ${report.cpuCores.toFixed(2)} cores · mistakes ${report.mistakes}`,
        );
        console.log(
          "lateness p99 / max by tenth of the run (ms): " +
            report.lateness.map((w) => `${w.p99Ms.toFixed(1)}/${w.maxMs.toFixed(0)}`).join(" · "),
        );
        console.log(dim(`report: ${outDir}/soak.json`));
      }
      if (!report.passed) ctx.exitCode = report.complete ? 1 : 130;
    });
}
