/**
 * What the proxy costs: at each offered rate, datagrams between member
 * sockets go once directly and once through a proxy process (each socket
 * build asked for: libc sockets, Deno's), and the step reports what was
 * offered, sent, relayed and received, where every lost datagram was lost,
 * the one-way latency and the latency the proxy adds over the direct path
 * at the same rate, and the proxy's CPU per relayed datagram.
 * `harness proxy-cost` prints it.
 *
 * The load (`proxy_cost_load.ts`) is a process of its own: `members`
 * sockets in one `UdpSocketSet` that send paced, timestamped datagrams to
 * one another (`sendmmsg` in runs of `burst` from one member) and time them
 * on arrival (`recvmmsg`), as its thread's reactor. Direct and proxied
 * steps of one rate run back to back (interleaved), so background load
 * hits both alike.
 *
 * Loss is attributed stage by stage (see {@linkcode LossBreakdown}): the
 * load's sends the kernel refused, the kernel's drops at the proxy's public
 * sockets and at the load's sockets (`/proc/net/udp`), and the proxy's books
 * (unknown source, judged, refused relays, held); what no counter saw is
 * `unaccounted`. The parts add up: `sent = received + every loss`.
 *
 * Where the proxy's time goes, roughly: each step reports the kernel's
 * share of the proxy's CPU and how often its thread slept per datagram
 * (`/proc`). For a profile, run with
 * `HARNESS_CHILD_V8_FLAGS=--perf-basic-prof,--logfile=/dev/null`
 * (perf then names the children's JS functions) and `perf record -g -p PID`
 * the proxy during a long step (`onStep` tells the processes' ids).
 *
 * @module
 */

import type { UdpLoadResult } from "../net/udp_load.ts";
import { ProxyProcess } from "../proxy/proxy_process.ts";
import type { RelaySocketKind } from "../proxy/udp_proxy.ts";
import type { ProxyCounters } from "../proxy/books.ts";
import { processSchedule } from "../os/procfs.ts";
import { LoadProcess } from "./proxy_cost_load.ts";

/** Latency of one path (real ms, one way). */
export interface PathLatency {
  /** Datagrams measured. */
  readonly samples: number;
  /** Median. */
  readonly p50Ms: number;
  /** 99th percentile. */
  readonly p99Ms: number;
  /** Largest. */
  readonly maxMs: number;
}

/** Where the datagrams of a proxied step that did not arrive were lost; each a count. */
export interface LossBreakdown {
  /** Sends the kernel refused at the load's sockets. */
  readonly generator: number;
  /** Dropped by the kernel at the proxy's public sockets (receive buffer full). */
  readonly proxyKernel: number;
  /** Counted by the proxy as from an unknown source. */
  readonly proxyUnknownSource: number;
  /** Dropped by the proxy's judge (black hole, dead, partition, rule; none in this study). */
  readonly proxyJudged: number;
  /** Relays the kernel refused at the proxy's sockets. */
  readonly proxySendErrors: number;
  /** Received by the proxy and not (yet) relayed, judged or refused (e.g. in its delay queue). */
  readonly proxyHeld: number;
  /** Dropped by the kernel at the load's sockets (receive buffer full). */
  readonly sinkKernel: number;
  /** Seen by no counter: sent but neither received by the proxy nor dropped at its sockets, or relayed but neither received nor dropped at the load (in flight at the end, or lost between sockets). */
  readonly unaccounted: number;
}

/** The direct path at one rate (no proxy). */
export interface DirectStep {
  /** Offered datagrams per second. */
  readonly offeredPerSec: number;
  /** Datagrams the kernel took per second of sending. */
  readonly sentPerSec: number;
  /** Datagrams sent. */
  readonly sent: number;
  /** Datagrams received. */
  readonly received: number;
  /** Dropped by the kernel at the load's sockets. */
  readonly kernelDrops: number;
  /** One-way latency. */
  readonly latency: PathLatency;
  /** The load process's CPU per datagram sent and received (µs). */
  readonly loadCpuUsPerDatagram: number;
}

/** One offered rate through one proxy. */
export interface ProxiedStep {
  /** Offered datagrams per second. */
  readonly offeredPerSec: number;
  /** Datagrams the kernel took from the load per second of sending. */
  readonly sentPerSec: number;
  /** Copies the proxy relayed per second of sending. */
  readonly relayedPerSec: number;
  /** Datagrams offered (rate × seconds). */
  readonly offered: number;
  /** Datagrams the kernel took from the load. */
  readonly sent: number;
  /** Datagrams the proxy received from members (its books). */
  readonly proxyReceived: number;
  /** Copies the proxy relayed (its books: delivered, not refused). */
  readonly relayed: number;
  /** Datagrams the load received. */
  readonly received: number;
  /** Where the rest went. */
  readonly loss: LossBreakdown;
  /** One-way latency through the proxy. */
  readonly latency: PathLatency;
  /** p50 latency minus the direct path's at the same rate. */
  readonly addedP50Ms: number;
  /** p99 latency minus the direct path's at the same rate. */
  readonly addedP99Ms: number;
  /** CPU cores the proxy process used while the load was sending. */
  readonly proxyCpuCores: number;
  /** The proxy process's CPU over the step (sending and tail) per relayed copy (µs). */
  readonly proxyCpuUsPerDatagram: number;
  /** Share of the proxy's CPU over the step spent in the kernel (system time; clock-tick resolution). */
  readonly proxyKernelShare: number;
  /** Times the proxy's main thread slept (voluntary context switches) per relayed copy. */
  readonly proxySleepsPerDatagram: number;
  /** The load process's CPU per datagram sent and received (µs). */
  readonly loadCpuUsPerDatagram: number;
  /** No loss anywhere (every offered datagram received) and added p99 under 2 ms. */
  readonly clean: boolean;
}

/** Every rate through one proxy build. */
export interface ProxyCostRun {
  /** The proxy's sockets. */
  readonly sockets: RelaySocketKind;
  /** One per rate, in order. */
  readonly steps: readonly ProxiedStep[];
  /** The highest offered rate whose step is clean, or null. */
  readonly highestCleanRate: number | null;
}

/** The measurement. */
export interface ProxyCost {
  /** Member sockets of the load. */
  readonly members: number;
  /** Payload bytes. */
  readonly size: number;
  /** Seconds of sending per step. */
  readonly seconds: number;
  /** The direct path, one per rate. */
  readonly direct: readonly DirectStep[];
  /** One per proxy build. */
  readonly runs: readonly ProxyCostRun[];
}

/** Options of {@linkcode measureProxyCost}. */
export interface ProxyCostOptions {
  /** Offered rates (datagrams/s). @default {[1000, 5000, 10000, 20000, 40000, 60000]} */
  readonly rates?: readonly number[];
  /** Seconds of sending per step. @default {2} */
  readonly seconds?: number;
  /** Payload bytes (at least 12). @default {64} */
  readonly size?: number;
  /** Member sockets (at least 2). @default {8} */
  readonly members?: number;
  /** Consecutive datagrams from one member. @default {4} */
  readonly burst?: number;
  /** Proxy socket builds, each its own proxy process. @default {["ffi"]} */
  readonly sockets?: readonly RelaySocketKind[];
  /** Seconds of unreported warm-up (5000/s) per path before the first rate. @default {0.5} */
  readonly warmupSeconds?: number;
  /** Called before each step, and with the processes' ids. */
  readonly onStep?: (label: string) => void;
}

/** The clean bound on added p99 latency (ms). */
export const CLEAN_ADDED_P99_MS = 2;

const latencyOf = (r: UdpLoadResult): PathLatency => ({ ...r.latency });
const sumOf = (xs: readonly number[] | null) => (xs ?? []).reduce((a, b) => a + b, 0);
const loadCpuUs = (r: UdpLoadResult) => r.cpuMs * 1000 / Math.max(1, r.sent + r.received);

/** The books' totals a step's deltas are taken of. */
function totals(c: ProxyCounters) {
  return {
    received: sumOf(c.fromMember),
    relayed: sumOf(c.toMember),
    judged: sumOf(c.lostFrom) + sumOf(c.blackholedFrom) + sumOf(c.partitionedFrom) + sumOf(c.deadFrom),
    sendErrors: sumOf(c.sendErrorsFrom),
    unknown: c.unknownSource,
    kernelDrops: sumOf(c.kernelDrops),
  };
}

/** One proxied step: the load's result against the proxy's books and CPU over the same step. */
async function proxiedStep(
  load: LoadProcess,
  proxy: ProxyProcess,
  rate: number,
  seconds: number,
  direct: DirectStep,
): Promise<ProxiedStep> {
  const before = totals(await proxy.counters({ links: false }));
  const cpu0 = (await proxy.usage())!.cpuMs;
  const sched0 = processSchedule(proxy.pid);
  const t0 = performance.now();
  const stepping = load.step({ targets: proxy.publicPorts, rate, seconds });
  // The proxy's CPU while the load sends (not over the tail, when it idles).
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu1 = (await proxy.usage())!.cpuMs;
  const window = (performance.now() - t0) / 1000;
  const r = await stepping;
  const after = totals(await proxy.counters({ links: false }));
  const cpu2 = (await proxy.usage())!.cpuMs;
  const sched1 = processSchedule(proxy.pid);
  const d = (k: keyof typeof before) => after[k] - before[k];
  const proxyReceived = d("received"), relayed = d("relayed");
  const loss: LossBreakdown = {
    generator: r.offered - r.sent,
    proxyKernel: d("kernelDrops"),
    proxyUnknownSource: d("unknown"),
    proxyJudged: d("judged"),
    proxySendErrors: d("sendErrors"),
    proxyHeld: proxyReceived - relayed - d("judged") - d("sendErrors"),
    sinkKernel: r.kernelDrops,
    unaccounted: (r.sent - proxyReceived - d("unknown") - d("kernelDrops")) + (relayed - r.kernelDrops - r.received),
  };
  const latency = latencyOf(r);
  const addedP99Ms = latency.p99Ms - direct.latency.p99Ms;
  const sendSeconds = Math.max(r.sendSeconds, 1e-3);
  return {
    offeredPerSec: rate,
    sentPerSec: r.sent / sendSeconds,
    relayedPerSec: relayed / sendSeconds,
    offered: r.offered,
    sent: r.sent,
    proxyReceived,
    relayed,
    received: r.received,
    loss,
    latency,
    addedP50Ms: latency.p50Ms - direct.latency.p50Ms,
    addedP99Ms,
    proxyCpuCores: (cpu1 - cpu0) / 1000 / window,
    proxyCpuUsPerDatagram: (cpu2 - cpu0) * 1000 / Math.max(1, relayed),
    proxyKernelShare: sched0 && sched1
      ? (sched1.systemMs - sched0.systemMs) /
        Math.max(1e-9, sched1.systemMs - sched0.systemMs + sched1.userMs - sched0.userMs)
      : NaN,
    proxySleepsPerDatagram: sched0 && sched1
      ? (sched1.voluntarySwitches - sched0.voluntarySwitches) / Math.max(1, relayed)
      : NaN,
    loadCpuUsPerDatagram: loadCpuUs(r),
    clean: r.received === r.offered && addedP99Ms < CLEAN_ADDED_P99_MS,
  };
}

function directStep(rate: number, r: UdpLoadResult): DirectStep {
  return {
    offeredPerSec: rate,
    sentPerSec: r.sent / Math.max(r.sendSeconds, 1e-3),
    sent: r.sent,
    received: r.received,
    kernelDrops: r.kernelDrops,
    latency: latencyOf(r),
    loadCpuUsPerDatagram: loadCpuUs(r),
  };
}

/** Measures the proxy's added latency, relay capacity and CPU per datagram. */
export async function measureProxyCost(options: ProxyCostOptions = {}): Promise<ProxyCost> {
  const rates = options.rates ?? [1000, 5000, 10000, 20000, 40000, 60000];
  const seconds = options.seconds ?? 2;
  const size = options.size ?? 64;
  const members = options.members ?? 8;
  const kinds = options.sockets ?? ["ffi"];
  const warmup = options.warmupSeconds ?? 0.5;
  const say = options.onStep ?? (() => {});
  const load = await LoadProcess.start({ members, size, burst: options.burst ?? 4 });
  const proxies: ProxyProcess[] = [];
  try {
    for (const sockets of kinds) {
      proxies.push(await ProxyProcess.start({ memberPorts: load.ports, seed: 1, sockets }));
    }
    say(`load pid ${load.pid}; proxy pids ${kinds.map((k, i) => `${k} ${proxies[i]!.pid}`).join(", ")}`);
    if (warmup > 0) {
      say("warm-up");
      await load.step({ targets: load.ports, rate: 5000, seconds: warmup, tailMs: 100 });
      for (const p of proxies) await load.step({ targets: p.publicPorts, rate: 5000, seconds: warmup, tailMs: 100 });
    }
    const direct: DirectStep[] = [];
    const steps: ProxiedStep[][] = kinds.map(() => []);
    for (const rate of rates) {
      say(`${rate}/s direct`);
      const d = directStep(rate, await load.step({ targets: load.ports, rate, seconds }));
      direct.push(d);
      for (let i = 0; i < kinds.length; i++) {
        say(`${rate}/s through the ${kinds[i]} proxy`);
        steps[i]!.push(await proxiedStep(load, proxies[i]!, rate, seconds, d));
      }
    }
    return {
      members,
      size,
      seconds,
      direct,
      runs: kinds.map((sockets, i) => {
        const clean = steps[i]!.filter((s) => s.clean).map((s) => s.offeredPerSec);
        return { sockets, steps: steps[i]!, highestCleanRate: clean.length ? Math.max(...clean) : null };
      }),
    };
  } finally {
    for (const p of proxies) await p.close();
    await load.close();
  }
}
