// deno-lint-ignore-file no-console -- part of the terminal UI.
/**
 * What every command of the CLI shares: the bad-input error (exit 2),
 * flag parsers that name their range, Ctrl-C handling, scenario loading.
 *
 * @module
 */

import { InvalidArgumentError } from "@commander-js/extra-typings";
import { yellow } from "@std/fmt/colors";
import { SCENARIOS } from "../../scenarios/mod.ts";
import { type Report, writeReport } from "../report/html_report.ts";
import { resolveScenario, type Scenario, ScenarioError, type ScenarioInput } from "../scenario/mod.ts";

/** Version of the harness, recorded in every result. */
export const HARNESS_VERSION = "0.1.0";

/** One CLI invocation's state: the exit code its commands set. */
export interface CliContext {
  /** 0 completed, 1 harness failure, 2 bad input, 3/4 bench verdicts, 130 interrupted. */
  exitCode: number;
}

/** Bad input: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Writes report.html/report.md; a report that cannot be drawn is a warning, never a failed run. */
export async function writeReportSafely(dir: string, build: () => Promise<Report>): Promise<void> {
  try {
    await writeReport(dir, await build());
  } catch (error) {
    console.error(
      yellow(`warning: the HTML report could not be written: ${error instanceof Error ? error.message : error}`),
    );
  }
}

/** Runs `fn` with SIGINT (Ctrl-C), SIGTERM and SIGHUP turned into an abort of the signal it receives. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>, onInterrupt?: () => void): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) return;
    onInterrupt?.();
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGHUP", onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGHUP", onSignal);
  }
}

/** A flag parser for an integer in [min, max], written in decimal digits (no 0x5, 1e1 or 5.0). */
export function integer(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer in [${min}, ${max}] written in decimal digits`);
    }
    return n;
  };
}

/** A flag parser for a decimal number in a range (`1e-3` allowed; hex, `Infinity` and blanks are not). */
export function number(
  min: number,
  max: number,
  { openLow = false, openHigh = false } = {},
): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    const lowOk = openLow ? n > min : n >= min;
    const highOk = openHigh ? n < max : n <= max;
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(value) || !Number.isFinite(n) || !lowOk || !highOk) {
      throw new InvalidArgumentError(
        `must be a number in ${openLow ? "(" : "["}${min}, ${max}${openHigh ? ")" : "]"}`,
      );
    }
    return n;
  };
}

/** Which flag sets which scenario field, to name the flag in errors. */
export const FLAG_OF_FIELD: Record<string, string> = {
  members: "--members",
  loss: "--loss",
  seed: "--seed",
  speedup: "--speedup",
  duration: "--duration",
  budgetBytesPerSec: "--budget",
  pMistake: "--p-mistake",
  shards: "--shards",
  basePort: "--base-port",
  detector: "--detector",
};

/** The scenario fields the given flags set (flags not given are left out). */
export function flagOverrides(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * Resolves a scenario with flag overrides. A field a flag set that is out of
 * range is bad input naming the flag; a field no flag sets, made invalid by
 * the flags given (e.g. `--members 2` leaves no room for `modelFailed`),
 * names those flags.
 */
export function resolveWithFlags(input: ScenarioInput, overrides: Record<string, unknown>): Scenario {
  try {
    return resolveScenario({ ...input, ...overrides });
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    const root = error.field.split(/[.[]/)[0]!;
    const flag = root in overrides ? (FLAG_OF_FIELD[root] ?? `--${root}`) : undefined;
    if (flag) throw new UsageError(`${flag}: ${error.message}`);
    const given = Object.entries(overrides).map(([field, v]) => `${FLAG_OF_FIELD[field] ?? `--${field}`} ${v}`);
    throw new UsageError(given.length > 0 ? `with ${given.join(" ")}: ${error.message}` : error.message);
  }
}

/** A built-in scenario by name, or a scenario `.json` file (bad input: a {@linkcode UsageError}). */
export async function loadScenario(name: string): Promise<ScenarioInput> {
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

/** `runs/<name>-<time>`, with every character of the name outside [A-Za-z0-9._-] replaced (no path escapes). */
export function defaultOutDir(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "").slice(0, 80) || "run";
  return `runs/${slug}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
}

/**
 * Makes `dir` ready for a run's output: refuses a directory that already
 * holds a run (events.jsonl or result.json) unless `force`, which replaces
 * it whole; refuses paths that cannot be written (a file, a path below a
 * file, /proc, read-only places). Bad input: a {@linkcode UsageError}
 * naming `flag`.
 */
export async function prepareOutDir(dir: string, force: boolean, flag = "--out"): Promise<void> {
  const resolved = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  if (/^\/(proc|sys|dev)(\/|$)/.test(resolved)) {
    throw new UsageError(`${flag}: '${dir}' is under /proc, /sys or /dev: choose a writable directory`);
  }
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new UsageError(`${flag}: cannot use '${dir}': ${error instanceof Error ? error.message : error}`);
    }
  }
  if (info && !info.isDirectory) throw new UsageError(`${flag}: '${dir}' is a file, not a directory`);
  if (info) {
    const holdsRun = await Promise.all(
      ["events.jsonl", "result.json", "suite.json", "compare.json", "validation.json", "claims.json"].map((f) =>
        Deno.stat(`${dir}/${f}`).then(() => true, () => false)
      ),
    );
    if (holdsRun.some(Boolean)) {
      if (!force) {
        throw new UsageError(
          `${flag}: '${dir}' already holds results (events.jsonl, result.json, ...): choose another directory, or pass --force to replace it whole`,
        );
      }
      await Deno.remove(dir, { recursive: true });
    }
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir}/.write-probe-${Deno.pid}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    throw new UsageError(`${flag}: cannot write to '${dir}': ${error instanceof Error ? error.message : error}`);
  }
}

/**
 * Flags given twice are bad input (commander would keep the last one
 * silently): returns the first repeated flag among `args`, or null.
 */
export function repeatedFlag(args: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const arg of args) {
    if (arg === "--") break;
    const m = /^(--[a-z][a-z0-9-]*|-[a-zA-Z])(=.*)?$/.exec(arg);
    if (!m) continue;
    const flag = m[1]!;
    if (seen.has(flag)) return flag;
    seen.add(flag);
  }
  return null;
}
