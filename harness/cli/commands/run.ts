// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness run`.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import { dim, setColorEnabled } from "@std/fmt/colors";
import { SCENARIOS } from "../../../scenarios/mod.ts";
import { createProgress } from "../progress.ts";
import { renderSummary } from "../../report/summary.ts";
import { findFastestFaithful } from "../../studies/fastest.ts";
import { runReport } from "../../report/html_report.ts";
import { RunFailedError, runScenario } from "../../run/run.ts";
import { MAX_MEMBERS, MAX_SOCKET_MEMBERS } from "../../scenario/mod.ts";
import { simulateScenario } from "../../sim/mod.ts";
import { PortInUseError } from "../../net/udp_transport.ts";

import {
  type CliContext,
  defaultOutDir,
  flagOverrides,
  HARNESS_VERSION,
  integer,
  loadScenario,
  number,
  prepareOutDir,
  resolveWithFlags,
  UsageError,
  withInterrupt,
  writeReportSafely,
} from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, ctx: CliContext): void {
  program.command("run")
    .description(
      "run a scenario on real sockets (or simulated, --simulate) and report detection, mistakes, bandwidth and noise floor",
    )
    .argument(
      "<scenario>",
      `built-in scenario name (${Object.keys(SCENARIOS).join(", ")}) or a scenario .json file`,
    )
    .option(
      "-n, --members <n>",
      `members in the group (2-${MAX_SOCKET_MEMBERS}, up to ${MAX_MEMBERS} with --simulate); T_gossip = 8n/B and T_fail follow`,
      integer(2, MAX_MEMBERS),
    )
    .option(
      "--loss <p>",
      "Bernoulli loss the proxy applies to every link, in [0, 1]",
      number(0, 1),
    )
    .option(
      "--seed <s>",
      "seed of every random choice (0-4294967295)",
      integer(0, 0xffffffff),
    )
    .option(
      "--speedup <x>",
      "time compression: nominal seconds per real second (> 0), or 'fastest' to probe for the fastest faithful one; " +
        "all reported times are nominal",
      (value: string) => (value === "fastest" ? "fastest" as const : number(0, 1000, { openLow: true })(value)),
    )
    .option(
      "--duration <seconds>",
      "run length in nominal seconds (> 0), replacing the scenario's",
      number(0, 1e7, { openLow: true }),
    )
    .option(
      "--budget <bytesPerSec>",
      "per-member gossip budget B in bytes/s (>= 8)",
      number(8, 1e9),
    )
    .option(
      "--p-mistake <p>",
      "target mistake probability that sets T_fail, in (0, 1)",
      number(0, 1, { openLow: true, openHigh: true }),
    )
    .option(
      "--shards <k>",
      "worker shards hosting the members (1-64)",
      integer(1, 64),
    )
    .option(
      "--base-port <port>",
      "first private member port (members use base..base+n-1, the proxy the next n); default any free ports",
      integer(1, 65535),
    )
    .option(
      "-o, --out <dir>",
      "output directory for result.json and events.jsonl (default runs/<scenario>-<time>)",
    )
    .option(
      "--simulate",
      "run the same scenario in the simulator (virtual time, no sockets): same detectors, faults, journal and metrics",
    )
    .option("--json", "print result.json to stdout instead of the summary")
    .option("--force", "replace --out whole if it already holds a run")
    .addOption(new Option("--no-progress", "no progress display"))
    .addOption(new Option("--no-color", "no colors in the summary"))
    .action(async (name, opts) => {
      const input = await loadScenario(name);
      const overrides = flagOverrides({
        members: opts.members,
        loss: opts.loss,
        seed: opts.seed,
        speedup: opts.speedup === "fastest" ? undefined : opts.speedup,
        duration: opts.duration === undefined ? undefined : opts.duration * 1000,
        budgetBytesPerSec: opts.budget,
        pMistake: opts.pMistake,
        shards: opts.shards,
        basePort: opts.basePort,
      });
      const members = { ...input, ...overrides }.members;
      if (!opts.simulate && typeof members === "number" && members > MAX_SOCKET_MEMBERS) {
        throw new UsageError(
          `${"members" in overrides ? "--members: " : ""}at most ${MAX_SOCKET_MEMBERS} members run on real sockets ` +
            `(${members} given): use --simulate for more`,
        );
      }
      if (opts.simulate && opts.speedup === "fastest") {
        throw new UsageError("--speedup fastest: a simulated run has no real-time speed-up to probe");
      }
      if (opts.speedup === "fastest") {
        const probeDir = `${opts.out ?? "runs"}/speedup-probes-${Date.now()}`;
        const found = await findFastestFaithful({ ...input, ...overrides }, {
          outDir: probeDir,
          onProbe: (x) => console.error(dim(`probing speed-up ${x}×…`)),
        });
        for (const p of found.probes) {
          console.error(dim(
            `  ${p.speedup}×: ${p.faithful ? "faithful" : "NOT faithful"} (lateness p99 ${
              p.latenessP99Ms.toFixed(1)
            } ms, limit ${p.limitMs.toFixed(1)} ms)`,
          ));
        }
        console.error(dim(`fastest faithful speed-up (with 2x headroom where possible): ${found.speedup}×`));
        overrides.speedup = found.speedup;
      }
      const scenario = resolveWithFlags(input, overrides);
      if (!opts.color) setColorEnabled(false);
      const outDir = opts.out ?? defaultOutDir(scenario.name);
      await prepareOutDir(outDir, opts.force === true);
      const totalMs = scenario.durationMs + scenario.recoveryMs;
      const realSeconds = totalMs / scenario.speedup / 1000;
      const simulate = opts.simulate === true;
      const progress = createProgress(
        opts.progress && (simulate ? scenario.members * totalMs > 1e8 : realSeconds > 3),
      );
      if (!opts.json) {
        console.error(
          dim(
            `${simulate ? "simulating" : "running"} '${scenario.name}': ${scenario.members} members, ${
              (totalMs / 1000).toFixed(1)
            } s nominal` +
              (simulate
                ? " in virtual time"
                : scenario.speedup !== 1
                ? ` at speed-up ${scenario.speedup}× (~${realSeconds.toFixed(0)} s real)`
                : "") +
              ` → ${outDir}`,
          ),
        );
      }
      try {
        const result = await withInterrupt(
          (signal) =>
            (simulate ? simulateScenario : runScenario)({
              scenario,
              outDir,
              signal,
              onProgress: (p) => progress.update(p),
              harnessVersion: HARNESS_VERSION,
            }),
          () => console.error(dim("\ninterrupted: stopping members and proxy, writing partial results…")),
        );
        progress.stop();
        await writeReportSafely(outDir, () => runReport(result));
        if (opts.json) console.log(JSON.stringify(result, null, 2));
        else console.log(renderSummary(result, outDir));
        if (result.interrupted) ctx.exitCode = 130;
        else if (!result.complete) ctx.exitCode = 1;
      } catch (error) {
        progress.stop();
        if (error instanceof PortInUseError) {
          throw new UsageError(`--base-port: ${error.message}`);
        }
        if (error instanceof RunFailedError && !opts.json) {
          console.log(renderSummary(error.result, outDir));
        }
        throw error;
      }
    });
}
