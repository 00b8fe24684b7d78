/**
 * The members of `ffi_udp_bench.ts`'s relay case, in the child process it
 * spawns: a {@linkcode UdpLoad} over the member sockets (pool mode, the
 * bench's set tuning; one datagram per member in turn), driven by JSON
 * lines on stdin and answering on stdout. Private to `harness/net/`.
 *
 * @module
 */

import { UdpLoad } from "./udp_load.ts";
import type { Tuning } from "./_ffi_bench_common.ts";

/** The child: `sockets` member sockets, paced sending through the relay, timestamped receive. */
export async function members(sockets: number, size: number, tuning: Tuning): Promise<void> {
  const load = UdpLoad.open({ members: sockets, size, burst: 1, reactor: false, tuning });
  const out = (v: unknown) => Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(v) + "\n"));
  out({ ports: load.ports });
  let publicPorts: number[] = [];
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).values();
  let pending = "";
  for (;;) {
    const nl = pending.indexOf("\n");
    if (nl < 0) {
      const next = await lines.next();
      if (next.done) break;
      pending += next.value;
      continue;
    }
    const msg = JSON.parse(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    if (msg.quit) break;
    if (msg.publicPorts) {
      publicPorts = msg.publicPorts;
      out({ ok: true });
      continue;
    }
    const { rate, seconds } = msg as { rate: number; seconds: number };
    const r = await load.step({ targets: publicPorts, rate, seconds });
    out({
      sent: r.sent,
      received: r.received,
      cpuMs: r.cpuMs,
      p50Ms: r.latency.p50Ms,
      p99Ms: r.latency.p99Ms,
      drops: r.kernelDrops,
    });
  }
  await load.close();
}
