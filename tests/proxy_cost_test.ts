/**
 * `harness proxy-cost` and its load: the shape of the report and its
 * accounting, at a rate loopback never loses (no timing is asserted).
 * Needs `--allow-ffi` (libc sockets) and `--allow-run` (the load and proxy
 * processes); ignored without.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { openSocketSets } from "../harness/net/ffi_udp.ts";
import { UdpLoad } from "../harness/net/udp_load.ts";
import { measureProxyCost } from "../harness/studies/proxy_cost.ts";

const allowed = (["ffi", "run"] as const).every((name) => Deno.permissions.querySync({ name }).state === "granted");

for (const reactor of [true, false]) {
  Deno.test({
    name: `UdpLoad (${reactor ? "reactor" : "pool"} mode) sends the offered datagrams and receives each, timed`,
    ignore: !allowed,
    fn: async () => {
      const load = UdpLoad.open({ members: 3, size: 40, burst: 2, reactor });
      try {
        for (let step = 0; step < 2; step++) {
          const r = await load.step({ targets: load.ports, rate: 400, seconds: 0.25, tailMs: 100 });
          assertEquals([r.offered, r.sent, r.refused, r.received, r.stale, r.kernelDrops], [100, 100, 0, 100, 0, 0]);
          assertEquals(r.latency.samples, 100);
          assert(r.latency.p50Ms >= 0 && r.latency.p50Ms <= r.latency.p99Ms && r.latency.p99Ms <= r.latency.maxMs);
          assert(r.cpuMs >= 0 && r.sendSeconds > 0);
        }
        await assertRejects(
          async () => {
            const first = load.step({ targets: load.ports, rate: 400, seconds: 0.1, tailMs: 10 });
            try {
              await load.step({ targets: load.ports, rate: 400, seconds: 0.1 });
            } finally {
              await first;
            }
          },
          Error,
          "a step is running",
        );
      } finally {
        await load.close();
      }
      assertEquals(openSocketSets(), 0);
    },
  });
}

Deno.test({
  name: "measureProxyCost: a direct and a proxied step per rate and socket build; every datagram accounted for",
  ignore: !allowed,
  fn: async () => {
    const labels: string[] = [];
    const cost = await measureProxyCost({
      rates: [300, 600],
      seconds: 0.5,
      members: 3,
      sockets: ["ffi", "deno"],
      warmupSeconds: 0,
      onStep: (l) => labels.push(l),
    });
    assertEquals([cost.members, cost.size, cost.seconds], [3, 64, 0.5]);
    assertEquals(cost.direct.map((d) => [d.offeredPerSec, d.sent, d.received, d.kernelDrops]), [
      [300, 150, 150, 0],
      [600, 300, 300, 0],
    ]);
    assertEquals(cost.runs.map((r) => r.sockets), ["ffi", "deno"]);
    assert(labels.some((l) => l.includes("through the deno proxy")));
    for (const run of cost.runs) {
      assertEquals(run.steps.map((s) => s.offeredPerSec), [300, 600]);
      for (const s of run.steps) {
        // Counted by the load and by the proxy's books independently: all sent, received by the proxy, relayed, received.
        assertEquals([s.sent, s.proxyReceived, s.relayed, s.received], [s.offered, s.offered, s.offered, s.offered]);
        assertEquals(Object.values(s.loss), [0, 0, 0, 0, 0, 0, 0, 0]);
        const lost = Object.values(s.loss).reduce((a, b) => a + b, 0);
        assertEquals(s.offered, s.received + lost);
        assertEquals(s.latency.samples, s.received);
        assertEquals(s.addedP99Ms, s.latency.p99Ms - cost.direct[run.steps.indexOf(s)]!.latency.p99Ms);
        assert(s.proxyCpuUsPerDatagram > 0 && s.proxyCpuCores > 0 && s.loadCpuUsPerDatagram > 0);
        assert(s.proxyKernelShare >= 0 && s.proxyKernelShare <= 1 && s.proxySleepsPerDatagram >= 0);
        assertEquals(s.clean, s.addedP99Ms < 2);
      }
      const clean = run.steps.filter((s) => s.clean).map((s) => s.offeredPerSec);
      assertEquals(run.highestCleanRate, clean.length ? Math.max(...clean) : null);
    }
  },
});
