// The proxy's TCP relay on real sockets: bytes both ways, the initiator
// named from /proc, faults that stall a connection without FIN or RST,
// one-way partitions, and books that balance per connection.
import { assertEquals } from "@std/assert";
import { allocateLoopbackPorts } from "../harness/external/serf_args.ts";
import { inodeIn } from "../harness/os/socket_owner.ts";
import type { TcpCounters } from "../harness/proxy/books.ts";
import { ProxyProcess } from "../harness/proxy/proxy_process.ts";
import { UdpProxy } from "../harness/proxy/udp_proxy.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = new TextEncoder();
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** A member's private TCP port, as the test holds it: every accepted connection, in order. */
class Target {
  readonly listener: Deno.TcpListener;
  readonly accepted: Deno.TcpConn[] = [];
  readonly #loop: Promise<void>;
  constructor(port: number) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port, transport: "tcp" });
    this.listener = listener;
    this.#loop = (async () => {
      try {
        for await (const c of listener) this.accepted.push(c);
      } catch {
        // closed
      }
    })();
  }
  async next(timeoutMs = 2000): Promise<Deno.TcpConn | undefined> {
    const end = Date.now() + timeoutMs;
    const seen = this.accepted.length;
    while (this.accepted.length === seen && Date.now() < end) await sleep(10);
    return this.accepted[seen];
  }
  async close(): Promise<void> {
    for (const c of this.accepted) closeQuietly(c);
    this.listener.close();
    await this.#loop;
  }
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // closed already
  }
}

/**
 * What a read gets within `ms`: bytes, "eof", "reset", or "nothing" (still
 * pending; the read is parked in `pending` and must be settled before the
 * test ends).
 */
async function readWithin(
  conn: Deno.TcpConn,
  ms: number,
  pending: Promise<unknown>[],
): Promise<string | "eof" | "reset" | "nothing"> {
  const buffer = new Uint8Array(1024);
  const read = conn.read(buffer).then(
    (n) => (n === null ? "eof" : decode(buffer.subarray(0, n))),
    () => "reset",
  );
  const got = await Promise.race([read, sleep(ms).then(() => "nothing" as const)]);
  if (got === "nothing") pending.push(read);
  return got;
}

async function readAll(conn: Deno.TcpConn, want: number): Promise<string> {
  const buffer = new Uint8Array(want);
  let got = 0;
  while (got < want) {
    const n = await conn.read(buffer.subarray(got));
    if (n === null) break;
    got += n;
  }
  return decode(buffer.subarray(0, got));
}

async function settled(proxy: { counters(): Promise<{ tcp?: TcpCounters | null }> }): Promise<TcpCounters> {
  for (let i = 0; i < 100; i++) {
    const tcp = (await proxy.counters()).tcp!;
    if (tcp.open === 0) return tcp;
    await sleep(20);
  }
  return (await proxy.counters()).tcp!;
}

function assertBalanced(tcp: TcpCounters): void {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const m = tcp.member;
  assertEquals(tcp.unbalanced, 0, "every connection's bytes balance");
  assertEquals(
    sum(m.sentBytes) + tcp.unidentifiedBytes.sent,
    sum(m.relayedBytes) + sum(m.droppedBytes) + tcp.unidentifiedBytes.relayed + tcp.unidentifiedBytes.dropped +
      tcp.inFlightBytes,
    "bytes in = relayed + dropped + in flight",
  );
  assertEquals(
    sum(m.receivedBytes) + tcp.unidentifiedBytes.received,
    sum(m.relayedBytes) + tcp.unidentifiedBytes.relayed,
  );
}

async function setup() {
  const ports = allocateLoopbackPorts(4);
  const memberPorts = ports.slice(0, 2);
  const targets = memberPorts.map((p) => new Target(p));
  const proxy = UdpProxy.start({ memberPorts, publicPorts: ports.slice(2), seed: 1, tcp: true });
  // This test process is member 0: its sockets are found in /proc/<its pid>/fd.
  await proxy.setMemberPids([Deno.pid, null]);
  return { proxy, targets, publicPorts: proxy.publicPorts };
}

Deno.test("inodeIn() reads the inode of the row with both ports from /proc/net/tcp", () => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 30 10 -1",
    "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 20 4 30 10 -1",
  ].join("\n");
  assertEquals(inodeIn(table, 0x9c40, 0x1f90), 4242);
  assertEquals(inodeIn(table, 0x1f90, 0x9c40), 4343);
  assertEquals(inodeIn(table, 0x1f90, 0x1f90), undefined);
});

Deno.test("TCP relay: bytes both ways, the initiator named from /proc, books balanced", async () => {
  const { proxy, targets, publicPorts } = await setup();
  try {
    const client = await Deno.connect({ hostname: "127.0.0.1", port: publicPorts[1]! });
    await client.write(text.encode("ping"));
    const server = (await targets[1]!.next())!;
    assertEquals(await readAll(server, 4), "ping");
    await server.write(text.encode("pong:ping"));
    assertEquals(await readAll(client, 9), "pong:ping");
    // The initiator's end of stream reaches the target, the target's reaches the initiator.
    await client.closeWrite();
    assertEquals(await readAll(server, 1), "");
    server.close();
    assertEquals(await readAll(client, 1), "");
    client.close();
    const tcp = await settled(proxy);
    assertEquals(tcp.member.opened, [1, 0]);
    assertEquals(tcp.member.accepted, [0, 1]);
    assertEquals(tcp.member.sentBytes, [4, 9]);
    assertEquals(tcp.member.receivedBytes, [9, 4]);
    assertEquals(tcp.member.droppedBytes, [0, 0]);
    assertEquals([tcp.connections, tcp.open, tcp.unidentified, tcp.parked, tcp.finsWithheld], [1, 0, 0, 0, 0]);
    assertBalanced(tcp);
  } finally {
    await proxy.close();
    for (const t of targets) await t.close();
  }
});

Deno.test("TCP relay: another process is named by its pid, an unknown one counted apart", async () => {
  const { proxy, targets, publicPorts } = await setup();
  try {
    const script = `exec 3<>/dev/tcp/127.0.0.1/${publicPorts[0]}; printf hello >&3; cat <&3`;
    const child = new Deno.Command("bash", { args: ["-c", script], stdout: "piped" }).spawn();
    await proxy.setMemberPids([null, child.pid]);
    const server = (await targets[0]!.next())!;
    assertEquals(await readAll(server, 5), "hello");
    await server.write(text.encode("bye"));
    server.close();
    assertEquals(decode((await child.output()).stdout), "bye");
    // A process that is no member's: unidentified, its bytes counted apart.
    await proxy.setMemberPids([null, null]);
    const stranger = await Deno.connect({ hostname: "127.0.0.1", port: publicPorts[0]! });
    await stranger.write(text.encode("??"));
    const s2 = (await targets[0]!.next())!;
    assertEquals(await readAll(s2, 2), "??");
    s2.close();
    stranger.close();
    const tcp = await settled(proxy);
    assertEquals(tcp.member.opened, [0, 1]);
    assertEquals(tcp.member.sentBytes, [3, 5]);
    assertEquals(tcp.unidentified, 1);
    assertEquals(tcp.unidentifiedBytes.sent, 2);
    assertBalanced(tcp);
  } finally {
    await proxy.close();
    for (const t of targets) await t.close();
  }
});

Deno.test("TCP relay: a black hole stalls connections without FIN or RST, new and established", async () => {
  const { proxy, targets, publicPorts } = await setup();
  const pending: Promise<unknown>[] = [];
  try {
    // Established before the fault.
    const old = await Deno.connect({ hostname: "127.0.0.1", port: publicPorts[1]! });
    await old.write(text.encode("a"));
    const oldServer = (await targets[1]!.next())!;
    assertEquals(await readAll(oldServer, 1), "a");
    await proxy.setBlackhole(1, true);
    // New during the fault: accepted by the proxy, never connected to the target.
    const fresh = await Deno.connect({ hostname: "127.0.0.1", port: publicPorts[1]! });
    await fresh.write(text.encode("hello"));
    assertEquals(await targets[1]!.next(500), undefined, "the target never hears of it");
    assertEquals(await readWithin(fresh, 300, pending), "nothing", "no FIN, no RST: as a dead host");
    // The established one: nothing either way, and the target's close is not passed on.
    await old.write(text.encode("bb"));
    await oldServer.write(text.encode("ccc"));
    assertEquals(await readWithin(oldServer, 300, pending), "nothing");
    oldServer.close();
    assertEquals(await readWithin(old, 500, pending), "nothing", "the target's FIN is withheld");
    let tcp = (await proxy.counters()).tcp!;
    assertEquals(tcp.parked, 1);
    assertEquals(tcp.member.droppedBytes, [2 + 5, 3]);
    assertEquals(tcp.finsWithheld, 1);
    // Healed: a new connection goes through again.
    await proxy.setBlackhole(1, false);
    const healed = await Deno.connect({ hostname: "127.0.0.1", port: publicPorts[1]! });
    await healed.write(text.encode("ok"));
    const s = (await targets[1]!.next())!;
    assertEquals(await readAll(s, 2), "ok");
    for (const c of [old, fresh, healed, s]) c.close();
    await Promise.allSettled(pending);
    tcp = await settled(proxy);
    assertEquals(tcp.connections, 3);
    assertBalanced(tcp);
  } finally {
    await proxy.close();
    await Promise.allSettled(pending);
    for (const t of targets) await t.close();
  }
});

Deno.test("TCP relay: a partition cuts one direction only", async () => {
  const { proxy, targets, publicPorts } = await setup();
  const pending: Promise<unknown>[] = [];
  try {
    for (const [cut, clientToTarget] of [[[0, 1], false], [[1, 0], true]] as const) {
      const client = await Deno.connect({ hostname: "127.0.0.1", port: publicPorts[1]! });
      await client.write(text.encode("1"));
      const server = (await targets[1]!.next())!;
      assertEquals(await readAll(server, 1), "1");
      await proxy.setPartition([cut]);
      await client.write(text.encode("to"));
      await server.write(text.encode("fro"));
      assertEquals(await readWithin(server, 300, pending), clientToTarget ? "to" : "nothing", `cut ${cut}`);
      assertEquals(await readWithin(client, 300, pending), clientToTarget ? "nothing" : "fro", `cut ${cut}`);
      await proxy.heal();
      client.close();
      server.close();
    }
    await Promise.allSettled(pending);
    const tcp = await settled(proxy);
    assertEquals(tcp.member.droppedBytes, [2, 3]);
    assertEquals(tcp.member.receivedBytes, [3, 2 + 2]);
    assertBalanced(tcp);
  } finally {
    await proxy.close();
    await Promise.allSettled(pending);
    for (const t of targets) await t.close();
  }
});

Deno.test("TCP relay in the proxy process: it reads /proc to name the initiator; a killed member stalls both ways", async () => {
  const ports = allocateLoopbackPorts(4);
  const targets = ports.slice(0, 2).map((p) => new Target(p));
  const proxy = await ProxyProcess.start({
    memberPorts: ports.slice(0, 2),
    publicPorts: ports.slice(2),
    seed: 1,
    tcp: true,
  });
  const pending: Promise<unknown>[] = [];
  try {
    await proxy.setMemberPids([Deno.pid, null]);
    const client = await Deno.connect({ hostname: "127.0.0.1", port: ports[3]! });
    await client.write(text.encode("x"));
    const server = (await targets[1]!.next())!;
    assertEquals(await readAll(server, 1), "x");
    await proxy.setDead(1, true);
    await client.write(text.encode("yy"));
    assertEquals(await readWithin(server, 300, pending), "nothing");
    // The killed member's kernel closing its end is withheld too: as from a dead host.
    server.close();
    assertEquals(await readWithin(client, 300, pending), "nothing");
    client.close();
    await Promise.allSettled(pending);
    const tcp = await settled(proxy);
    assertEquals(tcp.member.opened, [1, 0]);
    assertEquals(tcp.member.droppedBytes, [2, 0]);
    assertBalanced(tcp);
    assertEquals(tcp.finsWithheld, 2, "both ends' closes withheld");
  } finally {
    await proxy.close();
    await Promise.allSettled(pending);
    for (const t of targets) await t.close();
  }
});
