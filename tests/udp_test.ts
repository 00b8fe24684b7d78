import { assert, assertEquals, assertExists } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage, encodeHeartbeatList } from "../lib/basic/codec.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { absNowMs, RunClock } from "../harness/os/clock.ts";
import { MemberCounters, MemberHost } from "../harness/hosting/member_host.ts";
import { UdpProxy } from "../harness/proxy/udp_proxy.ts";
import { Scheduler } from "../harness/hosting/scheduler.ts";
import { bindUdp, boundPort, UdpTransport } from "../harness/net/udp_transport.ts";

const to = (port: number): Deno.NetAddr => ({ transport: "udp", hostname: "127.0.0.1", port });

async function receiveWithin(conn: Deno.DatagramConn, ms: number): Promise<[Uint8Array, Deno.NetAddr] | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms));
  const got = conn.receive().then(([b, a]) => [b, a as Deno.NetAddr] as [Uint8Array, Deno.NetAddr]);
  const result = await Promise.race([got, timeout]);
  clearTimeout(timer);
  if (result === undefined) got.catch(() => {});
  return result;
}

for (const sockets of ["ffi", "deno"] as const) {
  Deno.test(`UdpProxy (${sockets} sockets) relays so the receiver sees the sender's public port, and black-holes both directions`, async () => {
    const a = bindUdp();
    const b = bindUdp();
    const stranger = bindUdp();
    const proxy = UdpProxy.start({ memberPorts: [boundPort(a), boundPort(b)], seed: 1, sockets });
    try {
      const [pubA, pubB] = proxy.publicPorts as [number, number];
      await a.send(new Uint8Array([1, 2, 3]), to(pubB));
      const got = await receiveWithin(b, 2000);
      assertExists(got, "relayed datagram arrives");
      assertEquals(Array.from(got[0]), [1, 2, 3]);
      assertEquals(got[1].port, pubA, "source is A's public port");

      proxy.setBlackhole(0, true);
      await a.send(new Uint8Array([4]), to(pubB));
      await b.send(new Uint8Array([5]), to(pubA));
      assertEquals(await receiveWithin(b, 150), undefined);
      assertEquals(await receiveWithin(a, 150), undefined);
      proxy.setBlackhole(0, false);
      await b.send(new Uint8Array([6]), to(pubA));
      assertEquals(Array.from((await receiveWithin(a, 2000))![0]), [6]);

      await stranger.send(new Uint8Array([7]), to(pubA));
      await new Promise((r) => setTimeout(r, 100));
      const c = proxy.countersNow();
      assertEquals(c.fromMember, [2, 2]);
      assertEquals(c.toMember, [1, 1]);
      assertEquals(c.blackholedFrom, [1, 1]);
      assertEquals(c.unknownSource, 1);
      assertEquals(c.links!.passed, [0, 1, 1, 0]);
      assertEquals(c.links!.blackholed, [0, 1, 1, 0]);
    } finally {
      await proxy.close();
      a.close();
      b.close();
      stranger.close();
    }
  });
}

Deno.test("UdpProxy loss drops about the configured fraction and counts every drop", async () => {
  const a = bindUdp();
  const b = bindUdp();
  const proxy = UdpProxy.start({ memberPorts: [boundPort(a), boundPort(b)], seed: 5, loss: 0.3 });
  try {
    const pubB = proxy.publicPorts[1]!;
    const total = 2000;
    let received = 0;
    const reader = (async () => {
      while (await receiveWithin(b, 300)) received++;
    })();
    for (let i = 0; i < total; i++) {
      await a.send(new Uint8Array([i & 255]), to(pubB));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
    }
    await reader;
    const c = proxy.countersNow();
    assertEquals(c.fromMember[0], total);
    assertEquals(c.lostFrom[0]! + c.toMember[1]!, total);
    assertEquals(received, c.toMember[1]);
    // 30% of 2000: 600, sd ~20.5; 5 sd either side.
    assert(Math.abs(c.lostFrom[0]! - 600) < 103, `lost ${c.lostFrom[0]}`);
  } finally {
    await proxy.close();
    a.close();
    b.close();
  }
});

Deno.test("MemberHost counts and drops malformed datagrams and keeps gossiping", async () => {
  const transport = UdpTransport.bind();
  const peer = bindUdp();
  const self = transport.localId;
  const peerId = loopbackId(boundPort(peer));
  const clock = new RunClock(absNowMs(), 20);
  const counters = new MemberCounters(1);
  const events: string[] = [];
  const scheduler = new Scheduler(() => host.tick());
  const host = new MemberHost(
    0,
    createBasicGossipDetector({
      self,
      members: [self, peerId],
      tGossipMs: 200,
      tFailMs: 1e9,
      tCleanupMs: 2e9,
      rng: seededPrng(1),
      startMs: 0,
    }),
    transport,
    clock,
    scheduler,
    counters,
    (_, evs) => evs.forEach((e) => events.push(e.kind)),
  );
  host.start();
  try {
    const garbage = [
      new Uint8Array(0),
      new Uint8Array([1]),
      new Uint8Array(100).fill(0xff),
      new Uint8Array([1, 1, 0, 0]),
    ];
    for (const g of garbage) await peer.send(g, to(transport.localPort));
    const valid = encodeHeartbeatList([peerId], [3]);
    const corrupt = valid.slice();
    corrupt[12]! ^= 1;
    await peer.send(corrupt, to(transport.localPort));
    await peer.send(valid, to(transport.localPort));
    // The member keeps gossiping to its peer: its lists arrive and decode.
    const got = await receiveWithin(peer, 3000);
    assertExists(got, "the member still gossips");
    decodeMessage(got[0]);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(counters.malformed[0], garbage.length + 1);
    assertEquals(counters.recvDatagrams[0], garbage.length + 2);
    assert(counters.sentDatagrams[0]! >= 1);
  } finally {
    scheduler.stop();
    await host.stop();
    peer.close();
  }
});
