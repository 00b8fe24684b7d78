// deno-lint-ignore-file no-console
/**
 * CPU cost per datagram of Deno's UDP API against {@linkcode UdpSocketSet}
 * (libc through FFI, batched syscalls). Standalone:
 *
 * ```sh
 * deno run --allow-ffi --allow-net=127.0.0.1 --allow-run --allow-read --allow-env \
 *   harness/net/ffi_udp_bench.ts all --runs 3   # everything, medians of 3 runs (~2.5 min)
 * deno run … ffi_udp_bench.ts pingpong --impl ffi --window 64 --count 50000
 * deno run … ffi_udp_bench.ts relay --impl ffi --coalesce 1000 --sockets 500 --rates 10000,40000 --seconds 2
 * ```
 *
 * - `pingpong`: two sockets in one process; A keeps `window` datagrams in
 *   flight to B, B echoes each back. CPU µs per datagram = process CPU
 *   (all threads) / datagrams received (each one a send plus a receive).
 *   Impls: `deno` (`Deno.listenDatagram`, receive loop, awaited send),
 *   `ffi` (`FfiUdpTransport.post`, no promise), `ffi-tracked`
 *   (`FfiUdpTransport.send`, a promise per datagram, as `MemberHost` uses
 *   it today).
 * - `relay`: this process relays like the proxy, `sockets` public sockets;
 *   a child process (FFI set, `sockets` member sockets, `sendmmsg`) offers
 *   `rate` datagrams/s from member i to the public port of member j, and
 *   the relay sends it from public port i to member j. Impls: `deno` (the
 *   real `UdpProxy`, no rule) or `ffi` (a minimal relay on a set: source
 *   lookup, counters, send). Reports relayed rate, loss, kernel drops,
 *   relay CPU µs per relayed datagram, the members' CPU per relayed
 *   datagram (send + receive) and one-way latency member → relay → member.
 *   `--coalesce` and `--repoll` set `coalesceUs` and `repollBudgetUs` of
 *   the FFI sets (relay and members alike).
 * - `all`: both, medians of `--runs` runs; FFI rows with the defaults, with
 *   re-polling off (`rp0`/`repoll0`, what re-polling buys) and, given
 *   `--coalesce N`, with coalescing.
 *
 * `FFI_BENCH_DEBUG=1` prints the FFI relay set's totals (wakeups, re-polls,
 * syscalls) to stderr when it closes.
 *
 * @module
 */

import process from "node:process";
import { readProcUdpDrops, UdpSocketSet } from "./ffi_udp.ts";
import { FfiUdpTransport } from "./ffi_udp.ts";
import { loopbackId } from "../../lib/core/member_id.ts";
import { UdpProxy } from "../proxy/udp_proxy.ts";

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function flag(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1]! : fallback;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
};

// ---------------------------------------------------------------------------
// Ping-pong

/** One ping-pong run. */
interface PingPong {
  impl: string;
  window: number;
  datagrams: number;
  cpuUsPerDatagram: number;
  wallUsPerDatagram: number;
  datagramsPerSec: number;
}

async function pingPong(
  impl: string,
  window: number,
  count: number,
  size: number,
  tuning: Tuning,
): Promise<PingPong> {
  const payload = new Uint8Array(size).fill(7);
  let received = 0;
  const done = Promise.withResolvers<void>();
  let c0 = 0, t0 = 0;
  if (impl === "deno") {
    const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const toA = a.addr as Deno.NetAddr, toB = b.addr as Deno.NetAddr;
    let sent = 0;
    const loop = async (conn: Deno.DatagramConn, onReceive: (bytes: Uint8Array) => Promise<unknown> | void) => {
      const buf = new Uint8Array(65536);
      try {
        for (;;) {
          const [bytes] = await conn.receive(buf);
          await onReceive(bytes);
        }
      } catch {
        // closed
      }
    };
    const la = loop(a, () => {
      received++;
      if (received === count) done.resolve();
      if (sent < count) {
        sent++;
        return a.send(payload, toB);
      }
    });
    const lb = loop(b, (bytes) => b.send(bytes, toA));
    c0 = cpuMs(), t0 = performance.now();
    for (let i = 0; i < window; i++, sent++) a.send(payload, toB);
    await done.promise;
    const cpu = cpuMs() - c0, wall = performance.now() - t0;
    a.close(), b.close();
    await Promise.all([la, lb]);
    return result(cpu, wall);
  }
  const set = UdpSocketSet.open({ rcvbufBytes: 1 << 20, ...tuning });
  const tracked = impl === "ffi-tracked";
  const ta = FfiUdpTransport.bind(set), tb = FfiUdpTransport.bind(set);
  const idA = loopbackId(ta.localPort), idB = loopbackId(tb.localPort);
  let sent = 0;
  const sendA = tracked ? () => void ta.send(idB, payload) : () => ta.post(idB, payload);
  ta.listen(() => {
    received++;
    if (received === count) done.resolve();
    if (sent < count) {
      sent++;
      sendA();
    }
  });
  tb.listen((_from, bytes) => tracked ? void tb.send(idA, bytes) : tb.post(idA, bytes));
  c0 = cpuMs(), t0 = performance.now();
  for (let i = 0; i < window; i++, sent++) sendA();
  await done.promise;
  const cpu = cpuMs() - c0, wall = performance.now() - t0;
  await set.closeAll();
  return result(cpu, wall);

  function result(cpu: number, wall: number): PingPong {
    const n = 2 * received; // every datagram A received was sent by B, and B received one from A for each
    return {
      impl,
      window,
      datagrams: n,
      cpuUsPerDatagram: cpu * 1000 / n,
      wallUsPerDatagram: wall * 1000 / n,
      datagramsPerSec: n / wall * 1000,
    };
  }
}

// ---------------------------------------------------------------------------
// Relay

/** `UdpSocketSet` knobs of the relay's and the members' sets. */
interface Tuning {
  coalesceUs: number;
  repollBudgetUs: number;
}

/** One offered-rate step of the relay. */
interface RelayStep {
  impl: string;
  offered: number;
  sent: number;
  relayReceived: number;
  relayed: number;
  received: number;
  relayedPerSec: number;
  lossPct: number;
  relayDrops: number;
  memberDrops: number;
  relayCpuUsPerDatagram: number;
  memberCpuUsPerDatagram: number;
  endToEndCpuUsPerDatagram: number;
  p50Ms: number;
  p99Ms: number;
}

interface Relay {
  readonly ports: number[];
  readonly counts: () => { received: number; relayed: number };
  close(): Promise<void>;
}

function ffiRelay(memberPorts: number[], tuning: Tuning): Relay {
  const n = memberPorts.length;
  const set = UdpSocketSet.open(tuning);
  const handles = memberPorts.map(() => set.bind(0));
  const indexOfHandle = new Int32Array(Math.max(...handles) + 1).fill(-1);
  handles.forEach((h, i) => indexOfHandle[h] = i);
  const sourceIndex = new Map<number, number>();
  memberPorts.forEach((p, i) => sourceIndex.set(p, i));
  const fromMember = new Float64Array(n), fromBytes = new Float64Array(n);
  let received = 0;
  set.start((h, fromPort, bytes) => {
    received++;
    const to = indexOfHandle[h]!;
    const from = sourceIndex.get(fromPort);
    if (from === undefined) return;
    fromMember[from]!++;
    fromBytes[from]! += bytes.length;
    set.send(handles[from]!, memberPorts[to]!, bytes);
  });
  return {
    ports: handles.map((h) => set.port(h)),
    counts: () => ({ received, relayed: set.stats.sentDatagrams }),
    close: () => {
      if (Deno.env.get("FFI_BENCH_DEBUG")) console.error("relay set", set.stats);
      return set.closeAll();
    },
  };
}

function denoRelay(memberPorts: number[]): Relay {
  const proxy = UdpProxy.start({ memberPorts, seed: 1, perLinkCountersUpTo: 0 });
  return {
    ports: [...proxy.publicPorts],
    counts: () => {
      const c = proxy.countersNow({ links: false });
      return { received: c.fromMember.reduce((a, b) => a + b, 0), relayed: c.toMember.reduce((a, b) => a + b, 0) };
    },
    close: () => proxy.close(),
  };
}

async function relay(
  impl: string,
  sockets: number,
  rates: number[],
  seconds: number,
  size: number,
  tuning: Tuning,
): Promise<RelayStep[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      new URL(import.meta.url).pathname,
      "members",
      "--sockets",
      String(sockets),
      "--coalesce",
      String(tuning.coalesceUs),
      "--repoll",
      String(tuning.repollBudgetUs),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
  let pending = "";
  const readLine = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const nl = pending.indexOf("\n");
      if (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        return JSON.parse(line);
      }
      const next = await lines.next();
      if (next.done) throw new Error("members process ended");
      pending += next.value;
    }
  };
  const send = (value: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(value) + "\n"));
  const { ports: memberPorts } = await readLine() as { ports: number[] };
  const r = impl === "ffi" ? ffiRelay(memberPorts, tuning) : denoRelay(memberPorts);
  await send({ publicPorts: r.ports });
  await readLine();
  const steps: RelayStep[] = [];
  for (const rate of rates) {
    const before = r.counts();
    const dropsBefore = sum(readProcUdpDrops(r.ports));
    const c0 = cpuMs();
    await send({ rate, seconds, size });
    const m = await readLine() as {
      sent: number;
      received: number;
      cpuMs: number;
      p50Ms: number;
      p99Ms: number;
      drops: number;
    };
    const relayCpu = cpuMs() - c0;
    const after = r.counts();
    const relayed = after.relayed - before.relayed;
    steps.push({
      impl,
      offered: rate,
      sent: m.sent,
      relayReceived: after.received - before.received,
      relayed,
      received: m.received,
      relayedPerSec: relayed / seconds,
      lossPct: 100 * (m.sent - m.received) / m.sent,
      relayDrops: sum(readProcUdpDrops(r.ports)) - dropsBefore,
      memberDrops: m.drops,
      relayCpuUsPerDatagram: relayCpu * 1000 / relayed,
      memberCpuUsPerDatagram: m.cpuMs * 1000 / m.received,
      endToEndCpuUsPerDatagram: (relayCpu + m.cpuMs) * 1000 / m.received,
      p50Ms: m.p50Ms,
      p99Ms: m.p99Ms,
    });
  }
  await send({ quit: true });
  await writer.close();
  for (;;) if ((await lines.next()).done) break;
  await child.status;
  await r.close();
  return steps;
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** The child: `sockets` member sockets in one FFI set, paced blasting, timestamped receive. */
async function members(sockets: number, tuning: Tuning): Promise<void> {
  const set = UdpSocketSet.open(tuning);
  const handles = Array.from({ length: sockets }, () => set.bind(0));
  const out = (v: unknown) => Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(v) + "\n"));
  out({ ports: handles.map((h) => set.port(h)) });
  let samples = new Float64Array(0);
  let received = 0;
  set.start((_h, _from, bytes) => {
    const sentAt = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
    if (received < samples.length) samples[received] = performance.now() - sentAt;
    received++;
  });
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
    const { rate, seconds, size } = msg as { rate: number; seconds: number; size: number };
    const total = Math.round(rate * seconds);
    samples = new Float64Array(total);
    received = 0;
    const payload = new Uint8Array(size);
    const view = new DataView(payload.buffer);
    const dropsBefore = sum(readProcUdpDrops(set.ports()));
    const c0 = cpuMs();
    const t0 = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.min(total, Math.floor(rate * (now - t0) / 1000));
        for (; sent < due; sent++) {
          const i = sent % sockets;
          const j = (i + 1 + (sent * 7919) % (sockets - 1)) % sockets;
          view.setFloat64(0, performance.now(), true);
          set.send(handles[i]!, publicPorts[j]!, payload);
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await new Promise((r) => setTimeout(r, 300));
    const cpu = cpuMs() - c0;
    const got = samples.subarray(0, Math.min(received, total)).sort();
    const q = (p: number) => got.length ? got[Math.min(got.length - 1, Math.floor(p * got.length))]! : NaN;
    out({
      sent,
      received,
      cpuMs: cpu,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      drops: sum(readProcUdpDrops(set.ports())) - dropsBefore,
    });
  }
  await set.closeAll();
}

// ---------------------------------------------------------------------------

const fmt = (x: number, d = 1) => Number.isFinite(x) ? x.toFixed(d) : "-";

async function main(args: string[]): Promise<void> {
  const mode = args[0] ?? "all";
  const size = Number(flag(args, "size", "200"));
  const tuning: Tuning = {
    coalesceUs: Number(flag(args, "coalesce", "0")),
    repollBudgetUs: Number(flag(args, "repoll", "1000")),
  };
  if (mode === "members") return members(Number(flag(args, "sockets", "500")), tuning);
  if (mode === "pingpong") {
    const r = await pingPong(
      flag(args, "impl", "ffi"),
      Number(flag(args, "window", "64")),
      Number(flag(args, "count", "50000")),
      size,
      tuning,
    );
    console.log(JSON.stringify(r));
    return;
  }
  const sockets = Number(flag(args, "sockets", "500"));
  const rates = flag(args, "rates", "10000,20000,40000,60000,80000").split(",").map(Number);
  const seconds = Number(flag(args, "seconds", "2"));
  if (mode === "relay") {
    for (const s of await relay(flag(args, "impl", "ffi"), sockets, rates, seconds, size, tuning)) {
      console.log(JSON.stringify(s));
    }
    return;
  }
  // all: medians of `runs` runs; relay with Deno's API, FFI without and with
  // re-polling, and FFI with coalescing when `--coalesce` is given.
  const coalesceAll = Number(flag(args, "coalesce", "0"));
  const runs = Number(flag(args, "runs", "3"));
  const count = Number(flag(args, "count", "30000"));
  console.log(`pingpong, ${size}-byte datagrams, ${count} round trips, median of ${runs}`);
  console.log("impl         window  cpu µs/dgram  wall µs/dgram  dgram/s");
  for (const window of [1, 64]) {
    const variants = [
      { label: "deno", impl: "deno", tuning },
      { label: "ffi repoll0", impl: "ffi", tuning: { ...tuning, repollBudgetUs: 0 } },
      { label: "ffi", impl: "ffi", tuning },
      { label: "ffi-tracked", impl: "ffi-tracked", tuning },
    ];
    for (const { label, impl, tuning } of variants) {
      const rs: PingPong[] = [];
      for (let i = 0; i < runs; i++) {
        rs.push(await pingPong(impl, window, window === 1 ? count / 3 : count, size, tuning));
      }
      console.log(
        `${label.padEnd(12)} ${String(window).padStart(6)}  ${
          fmt(median(rs.map((r) => r.cpuUsPerDatagram)), 2).padStart(12)
        }` +
          `  ${fmt(median(rs.map((r) => r.wallUsPerDatagram)), 2).padStart(13)}  ${
            fmt(median(rs.map((r) => r.datagramsPerSec)), 0).padStart(7)
          }`,
      );
    }
  }
  console.log(`\nrelay, ${sockets} sockets, ${size}-byte datagrams, ${seconds} s per rate, median of ${runs}`);
  console.log(
    "impl       offered  relayed/s  loss%  relay-drops  member-drops  relay µs/dg  members µs/dg  e2e µs/dg  p50 ms  p99 ms",
  );
  const configs = [
    { label: "deno", impl: "deno", tuning: { ...tuning, coalesceUs: 0 } },
    { label: "ffi rp0", impl: "ffi", tuning: { coalesceUs: 0, repollBudgetUs: 0 } },
    { label: "ffi", impl: "ffi", tuning: { ...tuning, coalesceUs: 0 } },
    ...(coalesceAll > 0
      ? [{ label: `ffi c${coalesceAll}`, impl: "ffi", tuning: { ...tuning, coalesceUs: coalesceAll } }]
      : []),
  ];
  for (const { label, impl, tuning } of configs) {
    const all: RelayStep[][] = [];
    for (let i = 0; i < runs; i++) {
      all.push(await relay(impl, sockets, rates, seconds, size, tuning));
    }
    rates.forEach((rate, k) => {
      const col = (f: (s: RelayStep) => number) => median(all.map((steps) => f(steps[k]!)));
      console.log(
        [
          label.padEnd(9),
          String(rate).padStart(7),
          fmt(col((s) => s.relayedPerSec), 0).padStart(9),
          fmt(col((s) => s.lossPct), 2).padStart(6),
          fmt(col((s) => s.relayDrops), 0).padStart(11),
          fmt(col((s) => s.memberDrops), 0).padStart(12),
          fmt(col((s) => s.relayCpuUsPerDatagram), 2).padStart(11),
          fmt(col((s) => s.memberCpuUsPerDatagram), 2).padStart(13),
          fmt(col((s) => s.endToEndCpuUsPerDatagram), 2).padStart(9),
          fmt(col((s) => s.p50Ms), 2).padStart(6),
          fmt(col((s) => s.p99Ms), 2).padStart(6),
        ].join("  "),
      );
    });
  }
}

if (import.meta.main) await main(Deno.args);
