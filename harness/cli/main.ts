// deno-lint-ignore-file no-console -- this module is the terminal's entry point.
/**
 * The command line: `harness <command>`, one file per command under
 * `commands/`. The only module that calls `Deno.exit`; commands read
 * `Deno.args` through commander and install signal handlers through
 * `common.ts`.
 *
 * Exit codes: 0 completed run, 1 harness failure, 2 bad input, 3 bench
 * regressions, 4 bench inconclusive, 130 interrupted (partial results
 * written).
 *
 * @module
 */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { red, setColorEnabled } from "@std/fmt/colors";
import { type CliContext, HARNESS_VERSION, repeatedFlag, UsageError } from "./common.ts";
import * as agreement from "./commands/agreement.ts";
import * as analyze from "./commands/analyze.ts";
import * as bench from "./commands/bench.ts";
import * as claims from "./commands/claims.ts";
import * as compare from "./commands/compare.ts";
import * as hostile from "./commands/hostile.ts";
import * as list from "./commands/list.ts";
import * as model from "./commands/model.ts";
import * as proxyCost from "./commands/proxy_cost.ts";
import * as run from "./commands/run.ts";
import * as soak from "./commands/soak.ts";
import * as validate from "./commands/validate.ts";

/** Every command, in the order `--help` lists them. */
const COMMANDS = [run, list, analyze, model, validate, claims, proxyCost, bench, compare, soak, hostile, agreement];

function buildProgram(ctx: CliContext) {
  const program = new Command()
    .name("harness")
    .description("gossip-harness: real gossip failure detectors on loopback UDP, through a fault-injecting proxy")
    .version(HARNESS_VERSION)
    .exitOverride()
    // Errors go through console.error like every other message, so tests and wrappers see one stream.
    .configureOutput({
      writeErr: (text) => console.error(text.trimEnd()),
      outputError: (text, write) => write(red(text)),
    });
  for (const command of COMMANDS) command.register(program, ctx);
  return program;
}

/** Runs the CLI with `args`; resolves to the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const ctx: CliContext = { exitCode: 0 };
  // Before anything is printed, so even errors about other flags are plain.
  if (args.includes("--no-color")) setColorEnabled(false);
  try {
    const repeated = repeatedFlag(args);
    if (repeated) throw new UsageError(`${repeated}: given more than once; give each flag once`);
    await buildProgram(ctx).parseAsync([...args], { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) {
        return 0;
      }
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(red(`error: ${error.message}`));
      return 2;
    }
    console.error(red(`harness failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
