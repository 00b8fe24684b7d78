// deno-lint-ignore-file no-console
/**
 * The relay case of `ffi_udp_bench.ts`: this process relays like the proxy
 * (the real `UdpProxy`, or a minimal relay on a `UdpSocketSet`) between
 * the member sockets of a child process (`_ffi_bench_members.ts`, run as
 * `ffi_udp_bench.ts members`), stepping through offered rates. Private to
 * `harness/net/`.
 *
 * @module
 */

import { readProcUdpDrops, UdpSocketSet } from "./ffi_udp.ts";
import { UdpProxy } from "../proxy/udp_proxy.ts";
import { cpuMs, sum, type Tuning } from "./_ffi_bench_common.ts";

/** One offered-rate step of the relay. */
export interface RelayStep {
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

export async function relay(
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
      new URL("./ffi_udp_bench.ts", import.meta.url).pathname,
      "members",
      "--sockets",
      String(sockets),
      "--coalesce",
      String(tuning.coalesceUs),
      "--repoll",
      String(tuning.repollBudgetUs),
      "--size",
      String(size),
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
