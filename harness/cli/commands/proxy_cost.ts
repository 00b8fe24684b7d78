// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness proxy-cost`.
 *
 * @module
 */

import type { Command } from "@commander-js/extra-typings";
import { dim } from "@std/fmt/colors";
import { type LossBreakdown, measureProxyCost, type ProxyCost } from "../../studies/proxy_cost.ts";
import { toTable } from "../../studies/model_table.ts";
import type { RelaySocketKind } from "../../proxy/udp_proxy.ts";

import { type CliContext, number, UsageError } from "../common.ts";

const LOSS_NAMES: Record<keyof LossBreakdown, string> = {
  generator: "gen",
  proxyKernel: "proxy-kernel",
  proxyUnknownSource: "unknown",
  proxyJudged: "judged",
  proxySendErrors: "proxy-send",
  proxyHeld: "held",
  sinkKernel: "sink-kernel",
  unaccounted: "unaccounted",
};

/** Where a step's datagrams were lost, in a few words ("-" when nowhere). */
function lossWhere(loss: LossBreakdown): string {
  const parts = (Object.keys(LOSS_NAMES) as (keyof LossBreakdown)[])
    .filter((k) => loss[k] !== 0)
    .map((k) => `${LOSS_NAMES[k]} ${loss[k]}`);
  return parts.length ? parts.join(", ") : "-";
}

function print(cost: ProxyCost): void {
  console.log(
    `${cost.members} member sockets, ${cost.size}-byte datagrams, ${cost.seconds} s per step; ` +
      `latency one way, "added" against the direct path at the same rate`,
  );
  console.log("\ndirect path (no proxy)");
  console.log(
    toTable(cost.direct.map((d) => ({
      offered: d.offeredPerSec,
      sent: Math.round(d.sentPerSec),
      lost: d.sent - d.received,
      sinkDrops: d.kernelDrops,
      p50Ms: d.latency.p50Ms,
      p99Ms: d.latency.p99Ms,
      loadUsPerDg: d.loadCpuUsPerDatagram,
    }))).trimEnd(),
  );
  for (const run of cost.runs) {
    console.log(`\nthrough the proxy (${run.sockets} sockets)`);
    console.log(
      toTable(run.steps.map((s) => ({
        offered: s.offeredPerSec,
        sent: Math.round(s.sentPerSec),
        relayed: Math.round(s.relayedPerSec),
        lost: s.sent - s.received + s.loss.generator,
        where: lossWhere(s.loss),
        p50Ms: s.latency.p50Ms,
        p99Ms: s.latency.p99Ms,
        addedP99Ms: s.addedP99Ms,
        proxyCores: s.proxyCpuCores,
        proxyUsPerDg: s.proxyCpuUsPerDatagram,
        kernel: `${Math.round(100 * s.proxyKernelShare)}%`,
        sleepsPerDg: s.proxySleepsPerDatagram,
        clean: s.clean ? "yes" : "no",
      }))).trimEnd(),
    );
  }
  console.log("");
  for (const run of cost.runs) {
    console.log(
      `highest clean rate (${run.sockets} sockets; no loss, added p99 < 2 ms): ${
        run.highestCleanRate === null ? "none" : `${run.highestCleanRate}/s`
      }`,
    );
  }
}

/** Registers the command on `program`. */
export function register(program: Command, _ctx: CliContext): void {
  program.command("proxy-cost")
    .description(
      "measure the proxy: relayed rate, loss by where it happened, added latency against a direct path, " +
        "and its CPU per datagram, as the offered load grows",
    )
    .option("--rates <list>", "offered datagrams/s, comma list", "1000,5000,10000,20000,40000,60000")
    .option("--seconds <s>", "seconds of sending per step", number(0.5, 60), 2)
    .option("--members <n>", "member sockets of the load", number(2, 1000), 8)
    .option("--size <bytes>", "payload bytes", number(12, 65000), 64)
    .option("--deno", "also measure a proxy on Deno's sockets (before/after in one run)")
    .option("--deno-only", "measure only the proxy on Deno's sockets")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const rates = opts.rates.split(",").map((v) => {
        const n = Number(v);
        if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--rates: '${v}' must be a positive number`);
        return n;
      });
      const sockets: RelaySocketKind[] = opts.denoOnly ? ["deno"] : opts.deno ? ["ffi", "deno"] : ["ffi"];
      const cost = await measureProxyCost({
        rates,
        seconds: opts.seconds,
        members: opts.members,
        size: opts.size,
        sockets,
        onStep: (l) => console.error(dim(`… ${l}`)),
      });
      if (opts.json) console.log(JSON.stringify(cost, null, 2));
      else print(cost);
    });
}
