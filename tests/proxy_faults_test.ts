// The proxy's impairments on real sockets: rates and distributions within
// stated bounds, replay with the same seed, and exact accounting with every
// impairment at once. Sender and receiver are raw sockets standing in for
// members; each datagram carries its sequence number and send time.
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { absNowMs } from "../harness/os/clock.ts";
import type { RuleSpec } from "../harness/faults/impairments/rule.ts";
import { UdpProxy } from "../harness/proxy/udp_proxy.ts";
import { ProxyBooks } from "../harness/proxy/books.ts";
import { oneWay } from "../harness/faults/partitions.ts";
import { bindUdp, boundPort } from "../harness/net/udp_transport.ts";

interface Arrival {
  seq: number;
  sentAt: number;
  at: number;
  bytes: Uint8Array;
}

/** Sends `count` datagrams 0 → 1 through a proxy with `rules`, collects what arrives. */
async function drive(
  rules: RuleSpec[],
  count: number,
  options: { seed?: number; spacingMs?: number; size?: number; settleMs?: number } = {},
) {
  const a = bindUdp();
  const b = bindUdp();
  const proxy = UdpProxy.start({ memberPorts: [boundPort(a), boundPort(b)], seed: options.seed ?? 7, rules });
  const arrivals: Arrival[] = [];
  // One receive at a time, never abandoned: closing the socket ends the loop.
  const reader = (async () => {
    const buffer = new Uint8Array(65536);
    for (;;) {
      let got: Uint8Array;
      try {
        got = (await b.receive(buffer))[0].slice();
      } catch {
        return;
      }
      const view = new DataView(got.buffer);
      arrivals.push({ seq: view.getUint32(0), sentAt: view.getFloat64(4), at: absNowMs(), bytes: got });
    }
  })();
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: proxy.publicPorts[1]! };
  const size = options.size ?? 64;
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, i);
    view.setFloat64(4, absNowMs());
    await a.send(bytes, to);
    if ((options.spacingMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.spacingMs));
    else if (i % 25 === 24) await new Promise((r) => setTimeout(r, 1));
  }
  // Let delayed datagrams land, then stop.
  const maxDelay = Math.max(
    0,
    ...rules.map((r) => ("ms" in r.impairment ? r.impairment.ms + 5 * (r.impairment.jitterMs ?? 0) : 0)),
  );
  await new Promise((r) => setTimeout(r, options.settleMs ?? 300 + maxDelay));
  const counters = proxy.countersNow();
  await proxy.close();
  a.close();
  b.close();
  await reader;
  return { arrivals, counters };
}

Deno.test("loss on real sockets: the measured rate is within 4.5 sd of the configured one", async () => {
  const n = 3000;
  const { arrivals, counters } = await drive([{ id: "l", impairment: { kind: "loss", probability: 0.2 } }], n);
  const lost = n - arrivals.length;
  assertEquals(counters.lostFrom[0], lost);
  const sd = Math.sqrt(n * 0.2 * 0.8);
  assert(Math.abs(lost - 0.2 * n) < 4.5 * sd, `lost ${lost} of ${n}`);
});

Deno.test("gilbert-elliott on real sockets: loss rate near stationary, bursts near 1/r", async () => {
  const n = 4000;
  const { arrivals } = await drive([{ id: "ge", impairment: { kind: "gilbert-elliott", p: 0.05, r: 0.25 } }], n);
  const got = new Set(arrivals.map((x) => x.seq));
  let runs = 0, lost = 0;
  for (let i = 0; i < n; i++) {
    if (!got.has(i)) {
      lost++;
      if (i === 0 || got.has(i - 1)) runs++;
    }
  }
  assertAlmostEquals(lost / n, 0.05 / 0.3, 0.05);
  assertAlmostEquals(lost / runs, 4, 1.2);
});

Deno.test("delay on real sockets: added latency has the configured mean and spread", async () => {
  const { arrivals: direct } = await drive([], 400, { spacingMs: 1 });
  const base = direct.reduce((s, x) => s + (x.at - x.sentAt), 0) / direct.length;
  const { arrivals } = await drive(
    [{ id: "d", impairment: { kind: "delay", ms: 30, jitterMs: 10, distribution: "normal" } }],
    400,
    {
      spacingMs: 1,
    },
  );
  const added = arrivals.map((x) => x.at - x.sentAt - base);
  const mean = added.reduce((a, b) => a + b, 0) / added.length;
  const sd = Math.sqrt(added.reduce((a, b) => a + (b - mean) ** 2, 0) / added.length);
  // Timer granularity on the proxy adds up to ~1 ms; the bounds allow for a noisy machine.
  assert(Math.abs(mean - 30) < 4, `mean added delay ${mean.toFixed(2)} ms`);
  assert(sd > 7 && sd < 14, `sd ${sd.toFixed(2)} ms`);
  assertEquals(arrivals.length, 400);
});

Deno.test("duplicate, reorder and rate on real sockets behave as configured", async () => {
  const dup = await drive([{ id: "u", impairment: { kind: "duplicate", probability: 0.25 } }], 2000);
  const extra = dup.arrivals.length - 2000;
  assertEquals(extra, dup.counters.duplicatedFrom[0]);
  assert(Math.abs(extra - 500) < 4.5 * Math.sqrt(2000 * 0.25 * 0.75), `duplicates ${extra}`);

  const reo = await drive(
    [
      { id: "d", impairment: { kind: "delay", ms: 20 } },
      { id: "r", impairment: { kind: "reorder", probability: 0.3 } },
    ],
    600,
    { spacingMs: 1 },
  );
  const overtaking = reo.arrivals.filter((x, i) => reo.arrivals.slice(i + 1).some((y) => y.seq < x.seq)).length;
  const reordered = reo.counters.rules.find((r) => r.id === "r")!.counters.reordered;
  assert(Math.abs(reordered - 180) < 4.5 * Math.sqrt(600 * 0.3 * 0.7), `reordered ${reordered}`);
  assert(overtaking > 0.5 * reordered, `arrivals out of order ${overtaking}, reordered ${reordered}`);

  const started = absNowMs();
  const rate = await drive([{ id: "t", impairment: { kind: "rate", bytesPerSec: 50_000, overheadBytes: 28 } }], 200, {
    size: 472,
    settleMs: 3000,
  });
  const last = Math.max(...rate.arrivals.map((x) => x.at));
  const seconds = (last - started) / 1000;
  // 200 datagrams of 500 bytes on the wire at 50 kB/s take 2 s.
  assert(seconds > 1.9 && seconds < 2.6, `took ${seconds.toFixed(2)} s`);
  assertEquals(rate.arrivals.length, 200);
});

Deno.test("the same seed replays the same decisions on real sockets", async () => {
  const rules: RuleSpec[] = [
    { id: "l", probability: 0.5, impairment: { kind: "loss", probability: 0.3, correlation: 0.5 } },
    { id: "u", impairment: { kind: "duplicate", probability: 0.1 } },
  ];
  const run = async (seed: number) =>
    (await drive(rules, 800, { seed })).arrivals.map((x) => x.seq).sort((a, b) => a - b).join();
  const first = await run(11);
  assertEquals(await run(11), first);
  assert((await run(12)) !== first);
});

Deno.test("corrupted datagrams arrive with flipped bits and the counts say so", async () => {
  const { arrivals, counters } = await drive(
    [{ id: "c", impairment: { kind: "corrupt", probability: 0.5, bits: 1 } }],
    400,
    { size: 128 },
  );
  const rule = counters.rules.find((r) => r.id === "c")!.counters;
  // The payload after byte 12 is zeros when sent: any set bit there is a flip.
  const flipped = arrivals.filter((x) => x.bytes.subarray(12).some((b) => b !== 0)).length;
  assert(rule.corrupted > 120 && rule.corrupted < 280, `corrupted ${rule.corrupted}`);
  assert(flipped <= rule.corrupted && flipped > 0.8 * rule.corrupted, `flipped ${flipped} vs ${rule.corrupted}`);
});

/** Every build of the proxy's sockets: libc sockets (pool and reactor mode) and Deno's. */
const SOCKET_BUILDS = [
  { sockets: "ffi", reactor: false },
  { sockets: "ffi", reactor: true },
  { sockets: "deno", reactor: false },
] as const;

for (const build of SOCKET_BUILDS) {
  Deno.test(`every impairment together (${build.sockets}${build.reactor ? ", reactor" : ""} sockets): the proxy's books balance and match what the receiver got`, async () => {
    const n = 3;
    const sockets = Array.from({ length: n }, () => bindUdp());
    const proxy = UdpProxy.start({
      ...build,
      memberPorts: sockets.map(boundPort),
      seed: 3,
      rules: [
        { id: "loss", impairment: { kind: "loss", probability: 0.05, correlation: 0.3 } },
        { id: "ge", from: [0], impairment: { kind: "gilbert-elliott", p: 0.02, r: 0.3 } },
        { id: "delay", impairment: { kind: "delay", ms: 5, jitterMs: 3, distribution: "pareto" } },
        { id: "reorder", impairment: { kind: "reorder", probability: 0.2, gap: 2 } },
        { id: "dup", direction: "both", from: [1], to: [2], impairment: { kind: "duplicate", probability: 0.2 } },
        { id: "corrupt", probability: 0.5, impairment: { kind: "corrupt", probability: 0.2 } },
        { id: "rate", to: [2], impairment: { kind: "rate", bytesPerSec: 200_000 } },
      ],
    });
    const received = new Array(n).fill(0);
    const readers = sockets.map(async (s, i) => {
      const buffer = new Uint8Array(2048);
      for (;;) {
        try {
          await s.receive(buffer);
        } catch {
          return;
        }
        received[i]++;
      }
    });
    try {
      proxy.setPartition(oneWay(n, [2], [0]));
      const sent = new Array(n).fill(0);
      for (let k = 0; k < 1500; k++) {
        const from = k % n;
        const to = (from + 1 + (k % 2)) % n;
        await sockets[from]!.send(new Uint8Array(100).fill(k & 255), {
          transport: "udp",
          hostname: "127.0.0.1",
          port: proxy.publicPorts[to]!,
        });
        sent[from]++;
        if (k === 700) proxy.setBlackhole(1, true);
        if (k === 900) proxy.setBlackhole(1, false);
        if (k === 1100) proxy.heal();
        if (k % 30 === 29) await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, 500));
      const c = proxy.countersNow();
      assertEquals(c.fromMember, sent);
      assertEquals(c.toMember, received, "the proxy's deliveries are exactly what the sockets received");
      for (let m = 0; m < n; m++) {
        assertEquals(
          c.lostFrom[m]! + c.blackholedFrom[m]! + c.deadFrom[m]! + c.partitionedFrom[m]! + c.acceptedFrom[m]!,
          c.fromMember[m],
        );
      }
      const copies = c.acceptedFrom.reduce((a, b) => a + b, 0) + c.duplicatedFrom.reduce((a, b) => a + b, 0);
      assertEquals(
        copies,
        c.toMember.reduce((a, b) => a + b, 0) + c.sendErrorsFrom.reduce((a, b) => a + b, 0) + c.delayedPending +
          c.discarded,
      );
      for (const r of c.rules) assert(r.counters.matched > 0, `rule ${r.id} saw traffic`);
      assert(c.partitionedFrom[2]! > 0 && c.blackholedFrom.some((x) => x > 0));
      assert(
        c.links!.reordered.some((x) => x > 0) && c.links!.duplicated.some((x) => x > 0) &&
          c.links!.corrupted.some((x) => x > 0),
      );
    } finally {
      await proxy.close();
      for (const s of sockets) s.close();
      await Promise.all(readers);
    }
  });
}

for (const build of SOCKET_BUILDS) {
  Deno.test(`broadcast address (${build.sockets}${build.reactor ? ", reactor" : ""} sockets): the proxy fans a datagram out to the sender's subnet, per-link rules apply, books balance`, async () => {
    // Members 0-2 in subnet 0 (domain 0), 3 in subnet 1 (domain 0), 4 in subnet 2 (domain 1).
    const socks = Array.from({ length: 5 }, () => bindUdp());
    const proxy = UdpProxy.start({
      ...build,
      memberPorts: socks.map(boundPort),
      seed: 3,
      levels: { subnet: [0, 0, 0, 1, 2], domain: [0, 0, 0, 0, 1] },
      broadcast: true,
    });
    const got = socks.map(() => 0);
    const readers = socks.map((s, i) =>
      (async () => {
        const buffer = new Uint8Array(2048);
        for (;;) {
          try {
            await s.receive(buffer);
            got[i]!++;
          } catch {
            return;
          }
        }
      })()
    );
    try {
      proxy.setPartition([[0, 2]]);
      const to = (port: number) => ({ transport: "udp" as const, hostname: "127.0.0.1", port });
      await socks[0]!.send(new Uint8Array(100), to(proxy.broadcastPort));
      // Unicasts: within the subnet, to another subnet of the domain, to another domain.
      await socks[0]!.send(new Uint8Array(10), to(proxy.publicPorts[1]!));
      await socks[0]!.send(new Uint8Array(20), to(proxy.publicPorts[3]!));
      await socks[0]!.send(new Uint8Array(30), to(proxy.publicPorts[4]!));
      const deadline = absNowMs() + 2000;
      while (got[1]! < 2 && absNowMs() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      const c = proxy.countersNow({ links: false });
      assertEquals(c.broadcastFrom![0], 1);
      assertEquals(c.broadcastBytesFrom![0], 100);
      assertEquals(c.fannedOutFrom![0], 2, "one copy per other subnet member");
      assertEquals(c.partitionedFrom[0], 1, "the copy to member 2 crosses a cut");
      assertEquals(got, [0, 2, 0, 1, 1]);
      assertEquals(c.fromMember[0], 3, "unicasts only");
      assertEquals(c.crossSubnetBytesFrom![0], 20);
      assertEquals(c.crossDomainBytesFrom![0], 30);
      // judged = unicasts + fanned-out copies.
      const judged = c.lostFrom[0]! + c.blackholedFrom[0]! + c.deadFrom[0]! + c.partitionedFrom[0]! +
        c.acceptedFrom[0]!;
      assertEquals(judged, c.fromMember[0]! + c.fannedOutFrom![0]!);
    } finally {
      await proxy.close();
      for (const s of socks) s.close();
      await Promise.all(readers);
    }
  });
}

Deno.test("a relayed copy the kernel refuses moves from delivered to send errors in the books", () => {
  const books = new ProxyBooks(2, 10);
  books.delivered(0, 1, 100);
  books.delivered(0, 1, 40);
  books.refused(0, 1, 40);
  assertEquals(books.member.toMember[1], 1);
  assertEquals(books.member.toMemberBytes[1], 100);
  assertEquals(books.member.sendErrorsFrom[0], 1);
  assertEquals(books.link!.passed[1], 1);
});
