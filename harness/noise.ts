/**
 * Readings of the harness's own noise and of the machine: kernel UDP
 * counters (`/proc/net/snmp`), CPU time and memory of processes
 * (`/proc/<pid>/stat`, `/proc/<pid>/status`), and the facts recorded with
 * every result so a run can be reproduced.
 *
 * @module
 */

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

const CLOCK_TICKS_PER_SEC = 100;

/** CPU time (user + system, all threads) of a process in ms, or undefined. */
export function readCpuMs(pid: number | "self" = "self"): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC) *
      1000;
  } catch {
    return undefined;
  }
}

/** Resident set size now and at peak, in bytes, or undefined. */
export function readRss(
  pid: number | "self" = "self",
): { rssBytes: number; peakRssBytes: number } | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) *
      1024;
    return { rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Facts about the machine and software a result was produced with. */
export interface MachineFacts {
  readonly deno: string;
  readonly v8: string;
  readonly typescript: string;
  readonly os: string;
  readonly kernel: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memTotalBytes: number;
  readonly rmemMaxBytes: number | null;
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
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))
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
