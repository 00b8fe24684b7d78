// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness list`.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { bold } from "@std/fmt/colors";
import { SCENARIOS } from "../../../scenarios/mod.ts";

import type { CliContext } from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, _ctx: CliContext): void {
  program.command("list")
    .description("list the built-in scenarios")
    .action(() => {
      const width = Math.max(...Object.keys(SCENARIOS).map((name) => name.length));
      for (const [name, s] of Object.entries(SCENARIOS)) {
        console.log(`${bold(name.padEnd(width))}  ${s.description ?? ""}`);
      }
    });
}
