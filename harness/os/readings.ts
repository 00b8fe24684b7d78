/**
 * Readings of the harness's own noise and of the machine: kernel UDP
 * counters (`/proc/net/snmp`), CPU time and memory of processes
 * (`/proc/<pid>/stat`, `/proc/<pid>/status`), and the facts recorded with
 * every result so a run can be reproduced.
 *
 * @module
 */

import process from "node:process";

/** UDP counters of the network namespace (system-wide on this host). */
export interface UdpSnmp {
  readonly inDatagrams: number;
  readonly inErrors: number;
  readonly rcvbufErrors: number;
  readonly sndbufErrors: number;
}

/** Reads the Udp line of `/proc/net/snmp`; zeros where it is not readable. */
export function readUdpSnmp(): UdpSnmp {
  try {
    const lines = Deno.readTextFileSync("/proc/net/snmp").split("\n").filter((
      l,
    ) => l.startsWith("Udp:"));
    const names = lines[0]!.split(/\s+/).slice(1);
    const values = lines[1]!.split(/\s+/).slice(1).map(Number);
    const get = (name: string) => values[names.indexOf(name)] ?? 0;
    return {
      inDatagrams: get("InDatagrams"),
      inErrors: get("InErrors"),
      rcvbufErrors: get("RcvbufErrors"),
      sndbufErrors: get("SndbufErrors"),
    };
  } catch {
    return { inDatagrams: 0, inErrors: 0, rcvbufErrors: 0, sndbufErrors: 0 };
  }
}

/** CPU time and memory of the current process (all its threads and workers). */
export interface ProcessUsage {
  /** User + system CPU time since the process started (ms). */
  readonly cpuMs: number;
  /** Resident set size now. */
  readonly rssBytes: number;
  /** Peak resident set size. */
  readonly peakRssBytes: number;
}

/**
 * Reads this process's own usage (getrusage through `node:process`, which
 * needs no permission, unlike `/proc/self`).
 */
export function selfUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: Deno.memoryUsage().rss,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Facts about the machine and software a result was produced with. */
export interface MachineFacts {
  /** Deno version. */
  readonly deno: string;
  /** V8 version. */
  readonly v8: string;
  /** TypeScript version. */
  readonly typescript: string;
  /** Operating system and architecture. */
  readonly os: string;
  /** Kernel release. */
  readonly kernel: string;
  /** Logical CPUs. */
  readonly cpus: number;
  /** CPU model name. */
  readonly cpuModel: string;
  /** Physical memory. */
  readonly memTotalBytes: number;
  /** net.core.rmem_max: the largest socket receive buffer allowed. */
  readonly rmemMaxBytes: number | null;
  /** net.core.rmem_default: the default socket receive buffer. */
  readonly rmemDefaultBytes: number | null;
}

function readNumber(path: string): number | null {
  try {
    return Number(Deno.readTextFileSync(path).trim());
  } catch {
    return null;
  }
}

/** Reads the machine facts. */
export function machineFacts(): MachineFacts {
  let cpuModel = "unknown";
  let memTotalBytes = 0;
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))
      ?.[1] ?? "unknown";
  } catch {
    // not Linux
  }
  try {
    memTotalBytes = Number(
      /^MemTotal:\s+(\d+) kB/m.exec(Deno.readTextFileSync("/proc/meminfo"))
        ?.[1] ?? 0,
    ) * 1024;
  } catch {
    // not Linux
  }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    kernel: Deno.osRelease(),
    cpus: navigator.hardwareConcurrency,
    cpuModel,
    memTotalBytes,
    rmemMaxBytes: readNumber("/proc/sys/net/core/rmem_max"),
    rmemDefaultBytes: readNumber("/proc/sys/net/core/rmem_default"),
  };
}
