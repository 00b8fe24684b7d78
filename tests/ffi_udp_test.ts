/**
 * `harness/net/ffi_udp.ts`: libc UDP sockets in epoll sets. These tests need
 * `--allow-ffi` and are ignored without it.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage } from "../lib/basic/codec.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { absNowMs, RunClock } from "../harness/os/clock.ts";
import { MemberCounters, MemberHost } from "../harness/hosting/member_host.ts";
import { Scheduler } from "../harness/hosting/scheduler.ts";
import {
  FfiUdpTransport,
  openSocketSets,
  readProcUdpDrops,
  SocketError,
  UdpSocketSet,
} from "../harness/net/ffi_udp.ts";
import { bindUdp, boundPort, PortInUseError } from "../harness/net/udp_transport.ts";

const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
/**
 * Deno's sanitizers do not see a pending `nonblocking` FFI call, so every
 * test also checks that it left no set open (one would keep its
 * `epoll_wait` pending and the process alive).
 */
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: !ffi,
    fn: async () => {
      await fn();
      assertEquals(openSocketSets(), 0, "every UdpSocketSet closed");
    },
  });

/** Resolves when `check()` holds, or fails after `ms`. */
async function until(check: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const coalesceUs of [0, 500]) {
  test(`UdpSocketSet: round trip between two sockets reports source ports (coalesceUs ${coalesceUs})`, async () => {
    await using set = UdpSocketSet.open({ coalesceUs });
    const a = set.bind(), b = set.bind();
    const pa = set.port(a), pb = set.port(b);
    assert(pa > 0 && pb > 0 && pa !== pb);
    const seen: [number, number, number[]][] = [];
    set.start((handle, fromPort, bytes) => {
      seen.push([handle, fromPort, Array.from(bytes)]);
      if (handle === b) set.send(b, fromPort, bytes.map((x) => x + 1));
    });
    set.send(a, pb, new Uint8Array([1, 2, 3]));
    await until(() => seen.length === 2, 3000, "the echo");
    assertEquals(seen, [[b, pa, [1, 2, 3]], [a, pb, [2, 3, 4]]]);
    const s = set.stats;
    assertEquals([s.sentDatagrams, s.sentBytes, s.recvDatagrams, s.recvBytes], [2, 6, 2, 6]);
    assertEquals(set.socketStats(a).sentDatagrams, 1);
    assertEquals(set.socketStats(b).recvBytes, 3);
    assertEquals(set.ports().sort(), [pa, pb].sort());
  });
}

test("UdpSocketSet: thousands of datagrams go out in few sendmmsg and come in in few recvmmsg", async () => {
  await using set = UdpSocketSet.open({ rcvbufBytes: 300_000, sendSlots: 256, recvBatch: 64 });
  const a = set.bind(), b = set.bind();
  assert(set.rcvbuf(b) >= 2 * 212_992, "SO_RCVBUF applied (the kernel doubles it)");
  const got: number[] = [];
  set.listen(b, (_from, bytes) => got.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)));
  const chunks = 30, chunk = 100, n = chunks * chunk; // a chunk fits any receive buffer
  const payload = new Uint8Array(100);
  for (let c = 0, i = 0; c < chunks; c++) {
    for (let k = 0; k < chunk; k++, i++) {
      new DataView(payload.buffer).setUint32(0, i, true);
      set.send(a, set.port(b), payload); // copied: reusing `payload` is fine
    }
    await until(() => got.length === i, 3000, `chunk ${c}`);
  }
  assertEquals(got, Array.from({ length: n }, (_, i) => i), "in order, none lost or corrupted");
  const s = set.stats;
  assertEquals(s.sentDatagrams, n);
  assertEquals(s.sendCalls, chunks, "one sendmmsg per chunk");
  assert(s.recvCalls < n / 10, `recvmmsg calls: ${s.recvCalls}`);
});

test("UdpSocketSet: 300 sockets in one set each receive from the right source", async () => {
  await using set = UdpSocketSet.open();
  const n = 300;
  const handles = Array.from({ length: n }, () => set.bind());
  const ports = handles.map((h) => set.port(h));
  const from = new Int32Array(n).fill(-1);
  const indexOf = new Map(handles.map((h, i) => [h, i]));
  set.start((h, fromPort, bytes) => {
    const i = indexOf.get(h)!;
    assertEquals(bytes[0], i & 0xff);
    from[i] = fromPort;
  });
  for (let i = 0; i < n; i++) set.send(handles[i]!, ports[(i + 1) % n]!, new Uint8Array([(i + 1) % n & 0xff]));
  await until(() => from.every((p) => p >= 0), 5000, "one datagram per socket");
  for (let i = 0; i < n; i++) assertEquals(from[(i + 1) % n], ports[i]);
  assertEquals(set.stats.sockets, n);
});

test("UdpSocketSet: closeAll wakes the pending epoll_wait promptly and leaves no set open", async () => {
  for (const coalesceUs of [0, 1000]) {
    const set = UdpSocketSet.open({ coalesceUs });
    set.bind();
    set.start(() => {});
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await set.closeAll();
    assert(performance.now() - t0 < 500, "closed without waiting for traffic");
    await set.closeAll(); // idempotent
    assertThrows(() => set.bind(), Error, "closed");
  }
  // A set never started closes too.
  const idle = UdpSocketSet.open();
  idle.bind();
  await idle.closeAll();
});

test("UdpSocketSet: closing one socket while polling; its port can be bound again (restart)", async () => {
  await using set = UdpSocketSet.open();
  const a = set.bind(), b = set.bind();
  const port = set.port(b);
  const got: string[] = [];
  set.start((h, _from, bytes) => got.push(`${h}:${bytes[0]}`));
  set.send(a, port, new Uint8Array([1]));
  await until(() => got.length === 1);
  set.send(a, port, new Uint8Array([9])); // queued, flushed by close(b) before b goes: a's send is unaffected
  set.close(b);
  set.close(b); // ignored
  assertThrows(() => set.port(b), RangeError);
  assertThrows(() => set.send(b, port, new Uint8Array(1)), RangeError);
  const b2 = set.bind(port);
  assertEquals(set.port(b2), port);
  set.send(a, port, new Uint8Array([2]));
  await until(() => got.includes(`${b2}:2`), 3000, "delivery to the rebound socket");
  assertEquals(set.socketStats(b2).recvDatagrams, 1, "counters reset on handle reuse");
});

test("UdpSocketSet: bad ports, taken ports and closed handles are errors", async () => {
  await using set = UdpSocketSet.open();
  for (const bad of [-1, 65536, 1.5, NaN]) assertThrows(() => set.bind(bad), RangeError);
  const taken = bindUdp();
  try {
    const error = assertThrows(() => set.bind(boundPort(taken)), PortInUseError);
    assertEquals(error.port, boundPort(taken));
  } finally {
    taken.close();
  }
  const a = set.bind();
  for (const bad of [0, 65536, -5, 2.5]) assertThrows(() => set.send(a, bad, new Uint8Array(1)), RangeError);
  assertThrows(() => set.send(99, 1234, new Uint8Array(1)), RangeError);
  await assertRejects(() => set.sendTracked(a, 0, new Uint8Array(1)), RangeError);
  assertThrows(() => set.send(a, 1234, new Uint8Array(2 << 20)), RangeError, "send arena");
  assertEquals(set.stats.sockets, 1);
  assertThrows(() => UdpSocketSet.open({ recvBatch: 0 }), RangeError);
});

test("UdpSocketSet: sendTracked resolves to the bytes taken; a datagram to a port nobody holds still counts as sent", async () => {
  await using set = UdpSocketSet.open();
  const a = set.bind(), b = set.bind();
  set.start(() => {});
  assertEquals(await set.sendTracked(a, set.port(b), new Uint8Array(42)), 42);
  const nobody = bindUdp();
  const port = boundPort(nobody);
  nobody.close();
  assertEquals(await set.sendTracked(a, port, new Uint8Array(7)), 7, "UDP: no error for an unbound port");
  assertEquals(set.stats.sendErrors, 0);
});

test("UdpSocketSet: a datagram the kernel refuses is counted, reported to onSendError and rejects sendTracked", async () => {
  const refused: [number, number, number, number][] = [];
  await using set = UdpSocketSet.open({
    onSendError: (h, port, errno, bytes) => refused.push([h, port, errno, bytes]),
  });
  const a = set.bind(), b = set.bind();
  const port = set.port(b);
  const tooBig = new Uint8Array(70000); // over the 65507-byte UDP/IPv4 limit: EMSGSIZE
  const error = await assertRejects(() => set.sendTracked(a, port, tooBig), SocketError, "EMSGSIZE");
  assertEquals(error.errno, 90);
  set.send(a, port, new Uint8Array(1));
  set.send(a, port, tooBig); // in the middle of a run: the rest of the run still goes
  set.send(a, port, new Uint8Array(2));
  set.flush();
  assertEquals(refused, [[a, port, 90, 70000], [a, port, 90, 70000]]);
  assertEquals(set.socketStats(a).sendErrors, 2);
  assertEquals(set.socketStats(a).sentDatagrams, 2);
  assertEquals(set.stats.sendDropped, 0);
});

test("UdpSocketSet: datagrams longer than maxDatagram are counted as truncated, not delivered", async () => {
  await using set = UdpSocketSet.open({ maxDatagram: 100 });
  const a = set.bind(), b = set.bind();
  const sizes: number[] = [];
  set.listen(b, (_from, bytes) => sizes.push(bytes.length));
  set.send(a, set.port(b), new Uint8Array(101));
  set.send(a, set.port(b), new Uint8Array(100));
  await until(() => sizes.length === 1 && set.stats.truncated === 1);
  assertEquals(sizes, [100]);
  assertEquals(set.socketStats(b).truncated, 1);
});

test("UdpSocketSet: kernel receive drops show in SO_RXQ_OVFL counts and /proc/net/udp", async () => {
  await using set = UdpSocketSet.open({ sendSlots: 64, rcvbufBytes: 65536 });
  const a = set.bind(), b = set.bind();
  const port = set.port(b);
  // Not started: b's queue overflows.
  const n = 2000;
  for (let i = 0; i < n; i++) set.send(a, port, new Uint8Array(200));
  set.flush();
  const procDrops = readProcUdpDrops([port]).get(port)!;
  assert(procDrops > 0, "the kernel dropped some");
  let received = 0;
  set.listen(b, () => received++);
  await until(() => received > 0);
  set.send(a, port, new Uint8Array(1)); // a datagram queued after the drops carries the count
  await until(() => set.socketStats(b).kernelDrops > 0, 3000, "SO_RXQ_OVFL");
  await until(() => received === n - procDrops + 1, 3000, "the rest");
  assertEquals(set.socketStats(b).kernelDrops, procDrops);
});

test("FfiUdpTransport: a MemberHost gossips over it unchanged (ids, counters, close)", async () => {
  await using set = UdpSocketSet.open();
  const transport = FfiUdpTransport.bind(set);
  const peer = FfiUdpTransport.bind(set);
  const self = transport.localId;
  const peerId = peer.localId;
  assertEquals(peerId, loopbackId(peer.localPort));
  const received: [number, Uint8Array][] = [];
  peer.listen((from, bytes) => received.push([from, bytes.slice()]));
  const clock = new RunClock(absNowMs(), 20);
  const counters = new MemberCounters(1);
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
    () => {},
  );
  host.start();
  try {
    await until(() => received.length >= 1, 3000, "a gossip message");
    assertEquals(received[0]![0], self, "source is the member's own port");
    decodeMessage(received[0]![1]);
    await until(() => counters.sentDatagrams[0]! >= 1);
    assertEquals(counters.sentBytes[0], set.socketStats(transport.handle).sentBytes);
    // post(): the promise-free send.
    peer.post(self, received[0]![1]);
    await until(() => counters.recvDatagrams[0]! === 1, 3000, "the member receives");
    assertEquals(counters.malformed[0], 0);
  } finally {
    scheduler.stop();
    await host.stop();
  }
  await assertRejects(() => transport.send(peerId, new Uint8Array(1)), Error, "closed");
  assertEquals(set.stats.sockets, 1, "closing the transport closed its socket only");
  assertThrows(() => peer.listen(() => {}), Error, "already");
});
