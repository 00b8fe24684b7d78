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
import type { ScenarioInput } from "../scenario/mod.ts";

/** Version of the harness, recorded in every result. */
export const HARNESS_VERSION = "0.1.0";

/** One CLI invocation's state: the exit code its commands set. */
export interface CliContext {
  /** 0 completed, 1 harness failure, 2 bad input, 3/4 bench verdicts, 130 interrupted. */
  exitCode: number;
}

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

export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer in [${min}, ${max}]`);
    }
    return n;
  };
}

export function number(
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
};

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
