/**
 * Reading `/proc` through libc. Deno's file API opens `/proc/net/*` and
 * other processes' `/proc/<pid>/*` only with `--allow-all`; the harness and
 * its proxy process run with `--allow-ffi` instead, so these few reads go
 * through `open`/`read`/`readlink` directly. Linux only; every function
 * answers null (or nothing) when the file is not there or not readable.
 *
 * The library is opened for each call and closed before it returns (the
 * calls are rare: a connection accepted, a usage reading), so nothing stays
 * open for Deno's resource sanitizer to see.
 *
 * @module
 */

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const O_RDONLY_CLOEXEC = 0o2000000;
const encoder = new TextEncoder();
const cString = (s: string) => encoder.encode(s + "\0");

function withLibc<T>(use: (libc: Libc) => T): T {
  const library = Deno.dlopen("libc.so.6", SYMBOLS);
  try {
    return use(library.symbols);
  } finally {
    library.close();
  }
}

function readWith(libc: Libc, path: string): string | null {
  const fd = libc.open(cString(path), O_RDONLY_CLOEXEC);
  if (fd < 0) return null;
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const chunk = new Uint8Array(65536);
      const n = libc.read(fd, chunk, BigInt(chunk.length));
      if (n < 0) return null;
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
    }
  } finally {
    libc.close(fd);
  }
  const decoder = new TextDecoder();
  return chunks.map((c, i) => decoder.decode(c, { stream: i < chunks.length - 1 })).join("");
}

function linkWith(libc: Libc, path: string, buffer: Uint8Array): string | null {
  const n = libc.readlink(cString(path), buffer, BigInt(buffer.length));
  return n < 0 ? null : new TextDecoder().decode(buffer.subarray(0, n));
}

/** The text of a `/proc` file (e.g. `/proc/net/tcp`), or null. */
export function readProcFile(path: string): string | null {
  return withLibc((libc) => readWith(libc, path));
}

/**
 * What each open file descriptor of process `pid` points to (`socket:[123]`,
 * `pipe:[45]`, a path), as `/proc/<pid>/fd/<n>` links; empty when the
 * process is gone or not ours. The descriptors tried are those below the
 * process's descriptor table size (`FDSize` in its status).
 */
export function processFdTargets(pid: number): string[] {
  return withLibc((libc) => {
    const status = readWith(libc, `/proc/${pid}/status`);
    const size = Number(/^FDSize:\s+(\d+)/m.exec(status ?? "")?.[1] ?? 0);
    const buffer = new Uint8Array(256);
    const targets: string[] = [];
    for (let fd = 0; fd < size; fd++) {
      const target = linkWith(libc, `/proc/${pid}/fd/${fd}`, buffer);
      if (target !== null) targets.push(target);
    }
    return targets;
  });
}

/** CPU time and memory of another process, from `/proc/<pid>/stat` and `/proc/<pid>/status`. */
export interface ProcUsage {
  /** User + system CPU time since it started (ms). */
  readonly cpuMs: number;
  /** Resident set size now (VmRSS). */
  readonly rssBytes: number;
  /** Peak resident set size (VmHWM). */
  readonly peakRssBytes: number;
}

/**
 * Process `pid`'s user and system CPU time (ms) from `/proc/<pid>/stat` and
 * a reader of `/proc/<pid>/status` fields (NaN when absent), or null when it is gone.
 */
function readProcess(
  pid: number,
  ticksPerSecond: number,
): { userMs: number; systemMs: number; field: (name: string, unit?: string) => number } | null {
  return withLibc((libc) => {
    const stat = readWith(libc, `/proc/${pid}/stat`);
    const status = readWith(libc, `/proc/${pid}/status`);
    if (stat === null || status === null) return null;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      userMs: (Number(rest[11]) * 1000) / ticksPerSecond,
      systemMs: (Number(rest[12]) * 1000) / ticksPerSecond,
      field: (name, unit = "") => Number(new RegExp(`^${name}:\\s+(\\d+)${unit}`, "m").exec(status)?.[1] ?? NaN),
    };
  });
}

/** The usage of process `pid`, or null when it is gone (a zombie has no memory left to read). */
export function processUsage(pid: number, ticksPerSecond = 100): ProcUsage | null {
  const p = readProcess(pid, ticksPerSecond);
  if (p === null) return null;
  const rss = p.field("VmRSS", " kB");
  if (!Number.isFinite(rss)) return null;
  const peak = p.field("VmHWM", " kB");
  return {
    cpuMs: p.userMs + p.systemMs,
    rssBytes: rss * 1024,
    peakRssBytes: (Number.isFinite(peak) ? peak : rss) * 1024,
  };
}

/** Where a process's CPU time went, and how often it was switched out, from `/proc/<pid>/stat` and `status`. */
export interface ProcSchedule {
  /** User CPU time since it started (ms; clock-tick resolution). */
  readonly userMs: number;
  /** System (kernel) CPU time since it started (ms; clock-tick resolution). */
  readonly systemMs: number;
  /** Times its main thread gave up the CPU to wait (a blocking call that slept). */
  readonly voluntarySwitches: number;
  /** Times its main thread was preempted. */
  readonly involuntarySwitches: number;
}

/**
 * The user/system split of process `pid`'s CPU time (all threads) and its
 * main thread's context switches, or null when it is gone.
 */
export function processSchedule(pid: number, ticksPerSecond = 100): ProcSchedule | null {
  const p = readProcess(pid, ticksPerSecond);
  return p && {
    userMs: p.userMs,
    systemMs: p.systemMs,
    voluntarySwitches: p.field("voluntary_ctxt_switches"),
    involuntarySwitches: p.field("nonvoluntary_ctxt_switches"),
  };
}
