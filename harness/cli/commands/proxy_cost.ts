// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness proxy-cost`.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { dim } from "@std/fmt/colors";
import { measureProxyCost } from "../../studies/proxy_cost.ts";
import { toTable } from "../../studies/model_table.ts";

import { type CliContext, number, UsageError } from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, _ctx: CliContext): void {
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
}
