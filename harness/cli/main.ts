// deno-lint-ignore-file no-console -- this module is the terminal output.
/**
 * The command line: `harness run <scenario>`, `harness list`. The only
 * module that reads `Deno.args`, installs signal handlers or calls
 * `Deno.exit`, and the only one that imports the CLI library.
 *
 * Exit codes: 0 completed run, 1 harness failure, 2 bad input, 130
 * interrupted (partial results written).
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { bold, dim, green, red, setColorEnabled, yellow } from "@std/fmt/colors";
import { SCENARIOS } from "../../scenarios/mod.ts";
import { createProgress } from "./progress.ts";
import { renderSummary, renderValidation } from "../report/summary.ts";
import { revalidate, runValidation, validationScenario } from "../studies/validate_run.ts";
import { recomposeClaims, runClaims } from "../studies/claims_runs.ts";
import { measureProxyCost } from "../studies/proxy_cost.ts";
import { findFastestFaithful } from "../studies/fastest.ts";
import { runComparison } from "../studies/compare.ts";
import { applyVariant, COMPARABLE, type Comparable, DETECTOR_VARIANTS } from "../studies/compare_variants.ts";
import { type Report, runReport, suiteReport, writeReport } from "../report/html_report.ts";
import { type Baseline, checkSuite, loadBaseline, machineClass, runSuite, saveBaseline } from "../studies/bench.ts";
import { BENCH_SUITE } from "../../scenarios/bench_suite.ts";
import { RunFailedError, runScenario } from "../run/run.ts";
import { resolveScenario, type Scenario, ScenarioError, type ScenarioInput } from "../scenario/mod.ts";
import { PortInUseError } from "../net/udp_transport.ts";
import {
  answerModel,
  MODEL_METHODS,
  modelCurve,
  type ModelMethod,
  type ModelQuery,
  timeGrid,
  toCsv,
  toTable,
} from "../studies/model_table.ts";
import { ModelParamError } from "../../lib/model/gossip_markov.ts";

/** Version of the harness, recorded in every result. */
export const HARNESS_VERSION = "0.1.0";

let exitCode = 0;

/** Bad input: exit code 2. */
class UsageError extends Error {
  override name = "UsageError";
}

/** Writes report.html/report.md; a report that cannot be drawn is a warning, never a failed run. */
async function writeReportSafely(dir: string, build: () => Promise<Report>): Promise<void> {
  try {
    await writeReport(dir, await build());
  } catch (error) {
    console.error(
      yellow(`warning: the HTML report could not be written: ${error instanceof Error ? error.message : error}`),
    );
  }
}

/** Runs `fn` with Ctrl-C and SIGTERM turned into an abort of the signal it receives. */
async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>, onInterrupt?: () => void): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) return;
    onInterrupt?.();
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer in [${min}, ${max}]`);
    }
    return n;
  };
}

function number(
  min: number,
  max: number,
  { openLow = false, openHigh = false } = {},
) {
  return (value: string): number => {
    const n = Number(value);
    const lowOk = openLow ? n > min : n >= min;
    const highOk = openHigh ? n < max : n <= max;
    if (value.trim() === "" || !Number.isFinite(n) || !lowOk || !highOk) {
      throw new InvalidArgumentError(
        `must be a number in ${openLow ? "(" : "["}${min}, ${max}${openHigh ? ")" : "]"}`,
      );
    }
    return n;
  };
}

/** Which flag sets which scenario field, to name the flag in errors. */
const FLAG_OF_FIELD: Record<string, string> = {
  members: "--members",
  loss: "--loss",
  seed: "--seed",
  speedup: "--speedup",
  duration: "--duration",
  budgetBytesPerSec: "--budget",
  pMistake: "--p-mistake",
  shards: "--shards",
  basePort: "--base-port",
};

async function loadScenario(name: string): Promise<ScenarioInput> {
  if (name.endsWith(".json")) {
    try {
      return JSON.parse(await Deno.readTextFile(name)) as ScenarioInput;
    } catch (error) {
      throw new UsageError(
        `Cannot read scenario file '${name}': ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  const scenario = SCENARIOS[name];
  if (!scenario) {
    throw new UsageError(
      `Unknown scenario '${name}': expected one of ${Object.keys(SCENARIOS).join(", ")} or a .json file`,
    );
  }
  return scenario;
}

function buildProgram() {
  const program = new Command()
    .name("harness")
    .description(
      "gossip-harness: real gossip failure detectors on loopback UDP, through a fault-injecting proxy",
    )
    .version(HARNESS_VERSION)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(red(text)) });

  program.command("list")
    .description("list the built-in scenarios")
    .action(() => {
      for (const [name, s] of Object.entries(SCENARIOS)) {
        console.log(`${bold(name.padEnd(10))} ${s.description ?? ""}`);
      }
    });

  program.command("model")
    .description("the paper's analysis without running any member: T_fail for n, f, loss, B and P_mistake, and curves")
    .option("-n, --members <list>", "members n, or a comma list to sweep (integers >= 2)", "50")
    .option("-f, --failed <list>", "members failed from the start, f (0 <= f <= n-2), or a comma list", "1")
    .option("--loss <list>", "message loss probability in [0, 1), or a comma list", "0")
    .option("--budget <list>", "per-member budget B in bytes/s (>= 8), or a comma list", "250")
    .option("--p-mistake <list>", "target mistake probability in (0, 1), or a comma list", "1e-3")
    .addOption(
      new Option("--method <m>", "exact chain (single-gossiper rounds) or appendix A mean-field (full rounds)")
        .choices(MODEL_METHODS).default("chain" as ModelMethod),
    )
    .option("--curve", "print the P_mistake curve over T (one query only) instead of T_fail")
    .option("--max-seconds <s>", "curve: largest T (default 1.5 T_fail)", number(0, 1e9, { openLow: true }))
    .option("--points <k>", "curve: number of points", integer(2, 100000), 61)
    .option("--csv", "CSV instead of a table")
    .option("--json", "JSON instead of a table")
    .action((opts) => {
      const list = (flag: string, raw: string, parse: (v: string) => number) =>
        raw.split(",").map((v) => {
          try {
            return parse(v.trim());
          } catch (error) {
            throw new UsageError(`${flag}: '${v}' ${error instanceof Error ? error.message : error}`);
          }
        });
      const members = list("--members", opts.members, integer(2, 1e6));
      const failed = list("--failed", opts.failed, integer(0, 1e6));
      const losses = list("--loss", opts.loss, number(0, 1, { openHigh: true }));
      const budgets = list("--budget", opts.budget, number(8, 1e12));
      const targets = list("--p-mistake", opts.pMistake, number(0, 1, { openLow: true, openHigh: true }));
      const queries: ModelQuery[] = [];
      for (const n of members) {
        for (const f of failed) {
          for (const loss of losses) {
            for (const b of budgets) {
              for (const p of targets) {
                queries.push({ members: n, failed: f, loss, budgetBytesPerSec: b, pMistake: p, method: opts.method });
              }
            }
          }
        }
      }
      const flagOf: Record<string, string> = {
        members: "--members",
        failed: "--failed",
        loss: "--loss",
        budget: "--budget",
        pMistake: "--p-mistake",
      };
      const guard = <T>(fn: () => T): T => {
        try {
          return fn();
        } catch (error) {
          if (error instanceof ModelParamError) {
            throw new UsageError(`${flagOf[error.param] ?? error.param}: ${error.message}`);
          }
          throw error;
        }
      };
      if (opts.curve) {
        if (queries.length !== 1) throw new UsageError("--curve: give one value per flag (no comma lists)");
        const q = queries[0]!;
        const answer = guard(() => answerModel(q));
        const maxSeconds = opts.maxSeconds ?? 1.5 * answer.tFailSeconds;
        const curve = guard(() => modelCurve(q, timeGrid(maxSeconds, opts.points)));
        if (opts.json) console.log(JSON.stringify({ ...answer, curve }, null, 2));
        else if (opts.csv) console.log(toCsv(curve).trimEnd());
        else {
          console.log(
            `n=${q.members} f=${q.failed} loss=${q.loss} B=${q.budgetBytesPerSec} method=${q.method}: ` +
              `T_gossip ${answer.tGossipSeconds.toFixed(3)} s, T_fail ${answer.tFailSeconds.toFixed(3)} s ` +
              `for P_mistake ${q.pMistake} (r = ${answer.rounds} ${answer.roundsKind} rounds)`,
          );
          console.log(toTable(curve).trimEnd());
        }
        return;
      }
      const answers = queries.map((q) => guard(() => answerModel(q)));
      if (opts.json) console.log(JSON.stringify(answers.length === 1 ? answers[0] : answers, null, 2));
      else if (opts.csv) console.log(toCsv(answers).trimEnd());
      else console.log(toTable(answers).trimEnd());
    });

  program.command("validate")
    .description("run the basic detector on real UDP and confront the paper's P_mistake model with measured episodes")
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
      if (!opts.color) setColorEnabled(false);
      const outDir = opts.out ?? `runs/validate-${new Date().toISOString().replace(/[:.]/g, "-")}`;
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
      };
      const scenario = validationScenario(base);
      const progress = createProgress(opts.progress);
      if (!opts.json) {
        console.error(dim(
          `validating: n=${opts.members} f=${opts.failed} loss=${opts.loss}, ${
            (scenario.durationMs / 1000).toFixed(0)
          } s nominal at ` +
            `speed-up ${opts.speedup}× (~${(scenario.durationMs / opts.speedup / 1000).toFixed(0)} s real) → ${outDir}`,
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
        if (result.interrupted) exitCode = 130;
      } finally {
        progress.stop();
      }
    });

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
      const outDir = opts.from ?? opts.out ?? `runs/claims-${new Date().toISOString().replace(/[:.]/g, "-")}`;
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
      if (interrupted) exitCode = 130;
    });

  program.command("proxy-cost")
    .description("measure the proxy: added latency against a direct path, and relayed rate as the offered load grows")
    .option("--rates <list>", "offered datagrams/s, comma list", "5000,10000,20000,40000,60000")
    .option("--seconds <s>", "seconds per rate", number(0.5, 60), 2)
    .option("--json", "print JSON")
    .action(async (opts) => {
      const rates = opts.rates.split(",").map((v) => {
        const n = Number(v);
        if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--rates: '${v}' must be a positive number`);
        return n;
      });
      const cost = await measureProxyCost({
        rates,
        seconds: opts.seconds,
        onStep: (l) => console.error(dim(`… ${l}`)),
      });
      if (opts.json) {
        console.log(JSON.stringify(cost, null, 2));
        return;
      }
      console.log(
        `one-way latency, light load (1000/s): direct p50 ${cost.direct.p50Ms.toFixed(3)} / p99 ${
          cost.direct.p99Ms.toFixed(3)
        } ms; ` +
          `through the proxy p50 ${cost.proxied.p50Ms.toFixed(3)} / p99 ${cost.proxied.p99Ms.toFixed(3)} ms; ` +
          `added p50 ${cost.addedP50Ms.toFixed(3)} / p99 ${cost.addedP99Ms.toFixed(3)} ms`,
      );
      console.log(
        toTable(cost.load.map((s) => ({
          offered: s.offeredPerSec,
          sent: Math.round(s.sentPerSec),
          relayed: Math.round(s.relayedPerSec),
          lost: s.lost,
          kernelDrops: s.kernelDrops,
          p50Ms: s.latency.p50Ms,
          p99Ms: s.latency.p99Ms,
          proxyCores: s.proxyCpuCores,
        }))).trimEnd(),
      );
    });

  program.command("bench")
    .description(
      "run the benchmark suite; --save NAME stores a baseline (faithful runs only), --check NAME compares against one " +
        "(exit 3: regressions, 4: inconclusive)",
    )
    .option("--cases <ids>", `only these cases (comma list of ${BENCH_SUITE.map((c) => c.id).join(", ")})`)
    .option("--save [name]", "save the run as a baseline (default: this machine's class)")
    .option("--check [name]", "compare the run with a baseline (default: this machine's class)")
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
      const outDir = opts.out ?? `runs/bench-${new Date().toISOString().replace(/[:.]/g, "-")}`;
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
      if (checks?.some((c) => c.status === "regressed")) exitCode = 3;
      else if (checks?.some((c) => c.status === "inconclusive" || c.status === "no baseline")) exitCode = 4;
    });

  program.command("compare")
    .description(
      "run one scenario once per variant (same group, faults and seed) and print them side by side: detectors " +
        "(basic, swim, lifeguard, phi, neighbor), gossip styles (push, pull, push-pull, digest, topology-aware, " +
        "multi-level) or catastrophe recovery (broadcast, no-broadcast)",
    )
    .argument("<scenario>", `built-in scenario name or a scenario .json file`)
    .option("--variants <list>", `comma list of ${COMPARABLE.join(", ")}`, DETECTOR_VARIANTS.join(","))
    .option("--detectors <list>", "alias of --variants")
    .option("--equal-budget", "scale SWIM's, Lifeguard's and the neighbour detector's periods to spend B (pilot run)")
    .option("-n, --members <n>", "members in the group (2-8187)", integer(2, 8187))
    .option("--loss <p>", "Bernoulli loss the proxy applies to every link, in [0, 1]", number(0, 1))
    .option("--speedup <x>", "time compression (> 0)", number(0, 1000, { openLow: true }))
    .option("--seed <s>", "seed of every random choice", integer(0, 0xffffffff))
    .option("--episodes", "measure propagation episodes (infection curves; gossip variants only)")
    .option("-o, --out <dir>", "output directory (default runs/compare-<time>)")
    .option("--json", "print the rows as JSON")
    .action(async (name, opts) => {
      const flag = opts.detectors !== undefined ? "--detectors" : "--variants";
      const variants = (opts.detectors ?? opts.variants).split(",").map((d) => d.trim());
      const bad = variants.filter((d) => !(COMPARABLE as readonly string[]).includes(d));
      if (bad.length > 0) {
        throw new UsageError(`${flag}: unknown ${bad.join(", ")}; expected ${COMPARABLE.join(", ")}`);
      }
      const input = {
        ...(await loadScenario(name)),
        ...(opts.members !== undefined ? { members: opts.members } : {}),
        ...(opts.loss !== undefined ? { loss: opts.loss } : {}),
        ...(opts.speedup !== undefined ? { speedup: opts.speedup } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.episodes ? { measureEpisodes: true } : {}),
      };
      for (const v of variants) {
        try {
          resolveScenario(applyVariant(input, v as Comparable));
        } catch (error) {
          if (error instanceof ScenarioError) throw new UsageError(`${flag}: variant ${v}: ${error.message}`);
          throw error;
        }
      }
      const outDir = opts.out ?? `runs/compare-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const rows = await runComparison(input, variants as Comparable[], {
        outDir,
        harnessVersion: HARNESS_VERSION,
        equalBudget: opts.equalBudget === true,
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
            "to 99% (periods)": r.infection?.p99Periods ?? null,
            "re-merged": r.remerge ? `${r.remerge.remerged}/${r.remerge.pairs}` : null,
          }))).trimEnd(),
        );
        console.log(dim(`results: ${outDir}/compare.md · ${outDir}/compare.json`));
      }
      for (const r of rows.filter((r) => r.error)) console.error(red(`${r.variant}: ${r.error}`));
      // Some variant has no numbers: a harness failure, with the other rows written.
      if (rows.some((r) => r.error)) exitCode = 1;
    });

  program.command("run")
    .description(
      "run a scenario on real sockets and report detection, mistakes, bandwidth and noise floor",
    )
    .argument(
      "<scenario>",
      `built-in scenario name (${Object.keys(SCENARIOS).join(", ")}) or a scenario .json file`,
    )
    .option(
      "-n, --members <n>",
      "members in the group (2-8187); T_gossip = 8n/B and T_fail follow",
      integer(2, 8187),
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
    .option("--json", "print result.json to stdout instead of the summary")
    .addOption(new Option("--no-progress", "no progress display"))
    .addOption(new Option("--no-color", "no colors in the summary"))
    .action(async (name, opts) => {
      const input = await loadScenario(name);
      const overrides: Record<string, unknown> = {};
      const set = (field: string, value: unknown) => {
        if (value !== undefined) overrides[field] = value;
      };
      set("members", opts.members);
      set("loss", opts.loss);
      set("seed", opts.seed);
      if (opts.speedup !== "fastest") set("speedup", opts.speedup);
      set(
        "duration",
        opts.duration === undefined ? undefined : opts.duration * 1000,
      );
      set("budgetBytesPerSec", opts.budget);
      set("pMistake", opts.pMistake);
      set("shards", opts.shards);
      set("basePort", opts.basePort);
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
      let scenario: Scenario;
      try {
        scenario = resolveScenario({ ...input, ...overrides });
      } catch (error) {
        if (error instanceof ScenarioError) {
          const root = error.field.split(/[.[]/)[0]!;
          const flag = root in overrides ? FLAG_OF_FIELD[root] : undefined;
          throw new UsageError(
            flag ? `${flag}: ${error.message}` : error.message,
          );
        }
        throw error;
      }
      if (!opts.color) setColorEnabled(false);
      const outDir = opts.out ??
        `runs/${scenario.name}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const totalMs = scenario.durationMs + scenario.recoveryMs;
      const realSeconds = totalMs / scenario.speedup / 1000;
      const progress = createProgress(opts.progress && realSeconds > 3);
      if (!opts.json) {
        console.error(
          dim(
            `running '${scenario.name}': ${scenario.members} members, ${(totalMs / 1000).toFixed(1)} s nominal` +
              (scenario.speedup !== 1 ? ` at speed-up ${scenario.speedup}× (~${realSeconds.toFixed(0)} s real)` : "") +
              ` → ${outDir}`,
          ),
        );
      }
      try {
        const result = await withInterrupt(
          (signal) =>
            runScenario({
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
        if (result.interrupted) exitCode = 130;
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
  return program;
}

/** Runs the CLI with `args`; resolves to the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  exitCode = 0;
  try {
    await buildProgram().parseAsync([...args], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" || error.exitCode === 0
      ) return 0;
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(red(`error: ${error.message}`));
      return 2;
    }
    console.error(
      red(
        `harness failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ),
    );
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
