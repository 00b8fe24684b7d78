/**
 * What the proxy costs: added one-way latency against a direct
 * socket-to-socket path (same clock, no impairment), and the datagram rate
 * one proxy process relays as the offered load grows, with kernel drops,
 * latency under load and the proxy's CPU. `harness proxy-cost` prints it.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { absNowMs } from "../os/clock.ts";
import { readUdpSnmp } from "../os/readings.ts";
import { ProxyProcess } from "../proxy/proxy_process.ts";
import { bindUdp, boundPort } from "../net/udp_transport.ts";

/** Latency of one path (real ms). */
export interface PathLatency {
  /** Datagrams measured. */
  readonly samples: number;
  /** Median one-way latency. */
  readonly p50Ms: number;
  /** 99th percentile one-way latency. */
  readonly p99Ms: number;
}

/** One offered-load step. */
export interface LoadStep {
  /** Offered datagrams per second. */
  readonly offeredPerSec: number;
  /** Datagrams the sender handed to its sockets per second. */
  readonly sentPerSec: number;
  /** Datagrams that reached the receiver per second. */
  readonly relayedPerSec: number;
  /** Datagrams sent but never received. */
  readonly lost: number;
  /** RcvbufErrors during the step (system-wide). */
  readonly kernelDrops: number;
  /** One-way latency through the proxy under this load. */
  readonly latency: PathLatency;
  /** CPU cores the proxy process used during the step. */
  readonly proxyCpuCores: number;
}

/** The measurement. */
export interface ProxyCost {
  /** Direct path, light load. */
  readonly direct: PathLatency;
  /** Through the proxy, light load, no impairment. */
  readonly proxied: PathLatency;
  /** proxied minus direct, at p50 and p99. */
  readonly addedP50Ms: number;
  /** proxied minus direct at p99. */
  readonly addedP99Ms: number;
  /** Offered-load steps. */
  readonly load: readonly LoadStep[];
}

/** Options of {@linkcode measureProxyCost}. */
export interface ProxyCostOptions {
  /** Offered rates to try (datagrams/s). @default {[5000, 10000, 20000, 40000, 60000]} */
  readonly rates?: readonly number[];
  /** Seconds per rate. @default {2} */
  readonly seconds?: number;
  /** Payload bytes. @default {64} */
  readonly size?: number;
  /** Called before each step. */
  readonly onStep?: (label: string) => void;
}

async function receiveAll(
  conn: Deno.DatagramConn,
  histogram: Histogram,
  stopAt: () => number,
): Promise<number> {
  const buffer = new Uint8Array(2048);
  let count = 0;
  // One receive pending at a time, kept across waits (an abandoned receive would swallow a datagram).
  let next = conn.receive(buffer);
  for (;;) {
    const stop = stopAt();
    const timeout = Number.isFinite(stop) ? Math.max(20, stop - absNowMs()) : 250;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const got = await Promise.race([next, new Promise<null>((r) => timer = setTimeout(() => r(null), timeout))]);
    clearTimeout(timer);
    if (got === null) {
      if (absNowMs() >= stopAt()) {
        next.catch(() => {}); // ended by closing the socket
        return count;
      }
      continue;
    }
    const view = new DataView(got[0].buffer, got[0].byteOffset);
    histogram.record(absNowMs() - view.getFloat64(4));
    count++;
    next = conn.receive(buffer);
  }
}

/** Measures the proxy's added latency and relay capacity. */
export async function measureProxyCost(options: ProxyCostOptions = {}): Promise<ProxyCost> {
  const rates = options.rates ?? [5000, 10000, 20000, 40000, 60000];
  const seconds = options.seconds ?? 2;
  const size = options.size ?? 64;
  const senders = 4;
  const worker = new Worker(new URL("./proxy_cost_sender.ts", import.meta.url), { type: "module" });
  const ask = <T>(message: unknown) =>
    new Promise<T>((resolve) => {
      worker.onmessage = (e) => resolve(e.data as T);
      worker.postMessage(message);
    });
  const results: LoadStep[] = [];
  let direct: PathLatency | undefined;
  let proxied: PathLatency | undefined;
  const runStep = async (ports: number[], receiver: Deno.DatagramConn, rate: number, secs: number) => {
    const { ports: senderPorts } = await ask<{ ports: number[] }>({ type: "bind", count: senders });
    return {
      senderPorts,
      go: () => ask<{ sent: number; seconds: number }>({ type: "send", ports, rate, seconds: secs, size }),
      receiver,
    };
  };
  try {
    // 1. Light load: direct, then proxied.
    for (const mode of ["direct", "proxied"] as const) {
      options.onStep?.(`${mode} latency`);
      const receiver = bindUdp();
      const { senderPorts, go } = await runStep([], receiver, 1000, 2);
      let proxy: ProxyProcess | undefined;
      let target = [boundPort(receiver)];
      if (mode === "proxied") {
        proxy = await ProxyProcess.start({ memberPorts: [...senderPorts, boundPort(receiver)], seed: 1 });
        target = [proxy.publicPorts[senders]!];
      }
      const h = new Histogram();
      let stop = Infinity;
      const counting = receiveAll(receiver, h, () => stop);
      const done = await ask<{ sent: number; seconds: number }>({
        type: "send",
        ports: target,
        rate: 1000,
        seconds: 2,
        size,
      });
      void go;
      stop = absNowMs() + 300;
      await counting;
      receiver.close();
      await proxy?.close();
      const s = h.summary();
      const latency = { samples: s.count, p50Ms: s.p50, p99Ms: s.p99 };
      if (mode === "direct") direct = latency;
      else proxied = latency;
      void done;
    }
    // 2. Offered load through one proxy process.
    for (const rate of rates) {
      options.onStep?.(`${rate} datagrams/s offered`);
      const receiver = bindUdp();
      const { ports: senderPorts } = await ask<{ ports: number[] }>({ type: "bind", count: senders });
      const proxy = await ProxyProcess.start({ memberPorts: [...senderPorts, boundPort(receiver)], seed: 1 });
      const target = [proxy.publicPorts[senders]!];
      const h = new Histogram();
      let stop = Infinity;
      const before = readUdpSnmp();
      const cpuBefore = (await proxy.usage())!.cpuMs;
      const t0 = absNowMs();
      const counting = receiveAll(receiver, h, () => stop);
      const done = await ask<{ sent: number; seconds: number }>({ type: "send", ports: target, rate, seconds, size });
      stop = absNowMs() + 300;
      const received = await counting;
      const wall = (absNowMs() - t0) / 1000;
      const cpuAfter = (await proxy.usage())!.cpuMs;
      const after = readUdpSnmp();
      receiver.close();
      await proxy.close();
      const s = h.summary();
      results.push({
        offeredPerSec: rate,
        sentPerSec: done.sent / done.seconds,
        relayedPerSec: received / done.seconds,
        lost: done.sent - received,
        kernelDrops: after.rcvbufErrors - before.rcvbufErrors,
        latency: { samples: s.count, p50Ms: s.p50, p99Ms: s.p99 },
        proxyCpuCores: (cpuAfter - cpuBefore) / 1000 / wall,
      });
    }
  } finally {
    worker.terminate();
  }
  return {
    direct: direct!,
    proxied: proxied!,
    addedP50Ms: proxied!.p50Ms - direct!.p50Ms,
    addedP99Ms: proxied!.p99Ms - direct!.p99Ms,
    load: results,
  };
}
