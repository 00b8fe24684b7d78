/**
 * A UDP load generator and sink in one {@linkcode UdpSocketSet}: `members`
 * sockets that send paced, timestamped datagrams to one another (directly,
 * or through a relay such as the proxy) and time what comes back, so one
 * thread offers and absorbs tens of thousands of datagrams a second with
 * batched syscalls (`sendmmsg` per run from one socket, `recvmmsg`).
 *
 * Traffic: datagram k of a step goes from member `s = ⌊k / burst⌋ mod n`
 * to member `(s + 1 + k mod (n − 1)) mod n`, at `targets[that member]`;
 * it carries its send time (this thread's `performance.now()`, so sender
 * and sink share a clock) and the step's number. Pacing: every `tickMs` (or
 * when the next datagram is due, whichever is later) it sends what is due
 * by then, `⌊rate × elapsed⌋` in all, so a late tick catches up.
 *
 * By default the set runs as the thread's reactor: readiness and the pacing
 * timer in one `epoll_pwait2` on this thread, with no yield to the event
 * loop during a step (a yield costs about 2 ms on Deno's timers, which
 * would show in the latency); between steps it yields every 10 ms, so
 * requests still arrive. A thread that hosts a load should host nothing
 * else. With `reactor: false` the set waits on Deno's thread pool and a 1 ms
 * interval paces (for comparing wait modes).
 *
 * @module
 */

import { readProcUdpDrops, UdpSocketSet } from "./ffi_udp.ts";
import type { UdpSocketSetOptions } from "./socket_set_options.ts";
import { cpuMs, sum } from "./_ffi_bench_common.ts";

/** Options of {@linkcode UdpLoad.open}. */
export interface UdpLoadOptions {
  /** Member sockets (at least 2). */
  readonly members: number;
  /** Payload bytes (at least 12: send time and step number). @default {64} */
  readonly size?: number;
  /** Consecutive datagrams from one member (one `sendmmsg`). @default {4} */
  readonly burst?: number;
  /** Pacing interval (ms). @default {0.25} */
  readonly tickMs?: number;
  /** Run the set as this thread's reactor (see the module). @default {true} */
  readonly reactor?: boolean;
  /** Tuning of the set in pool mode (`coalesceUs`, `repollBudgetUs`, `rcvbufBytes`). */
  readonly tuning?: Pick<UdpSocketSetOptions, "coalesceUs" | "repollBudgetUs" | "rcvbufBytes">;
}

/** One step of {@linkcode UdpLoad.step}. */
export interface UdpLoadStep {
  /** Where member j's datagrams go: a port per member (their own for a direct path). */
  readonly targets: readonly number[];
  /** Datagrams per second. */
  readonly rate: number;
  /** Seconds of sending. */
  readonly seconds: number;
  /** Milliseconds to keep receiving after the last send. @default {300} */
  readonly tailMs?: number;
}

/** What one step did. */
export interface UdpLoadResult {
  /** Datagrams the step was to send (`rate × seconds`). */
  readonly offered: number;
  /** Datagrams the kernel took. */
  readonly sent: number;
  /** Datagrams the kernel refused (send buffer full, or an error). */
  readonly refused: number;
  /** This step's datagrams received. */
  readonly received: number;
  /** Datagrams of an earlier step (or foreign ones) received during this step. */
  readonly stale: number;
  /** Datagrams the kernel dropped at the members' sockets during the step (`/proc/net/udp`). */
  readonly kernelDrops: number;
  /** Seconds from the first send to the last. */
  readonly sendSeconds: number;
  /** CPU time of this process during the step (ms). */
  readonly cpuMs: number;
  /** One-way latency, send to receive (ms). */
  readonly latency: {
    readonly samples: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
  };
}

interface Running {
  readonly id: number;
  readonly targets: readonly number[];
  readonly rate: number;
  readonly total: number;
  readonly tailMs: number;
  readonly t0: number;
  enqueued: number;
  lastTick: number;
  sendEnd: number;
  received: number;
  stale: number;
  readonly samples: Float64Array;
  readonly sentBefore: number;
  readonly refusedBefore: number;
  readonly dropsBefore: number;
  readonly cpuBefore: number;
  readonly done: (result: UdpLoadResult) => void;
}

/** Slice while a step runs: no yield (the step ends on its own deadline, then the slice is back to 10 ms). */
const NO_YIELD_MS = 3_600_000;

/** Paced generator and timestamping sink over `members` sockets of one set (see the module). */
export class UdpLoad {
  /** Each member's port, by index. */
  readonly ports: readonly number[];
  readonly #set: UdpSocketSet;
  readonly #handles: number[];
  readonly #payload: Uint8Array;
  readonly #view: DataView;
  readonly #burst: number;
  readonly #tickMs: number;
  /** The send time of a received datagram, copied out of it. */
  readonly #sentAt = new Float64Array(1);
  readonly #scratch = new Uint8Array(this.#sentAt.buffer);
  #step: Running | undefined;
  #steps = 0;
  #interval: ReturnType<typeof setInterval> | undefined;
  /** Pool mode: a 1 ms interval paces instead of the reactor's timer. */
  readonly #pool: boolean;

  private constructor(options: UdpLoadOptions) {
    const n = options.members, size = options.size ?? 64;
    const burst = this.#burst = options.burst ?? 4;
    const tickMs = this.#tickMs = options.tickMs ?? 0.25;
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`'members' must be an integer >= 2: current value is ${n}`);
    if (!Number.isInteger(size) || size < 12) {
      throw new RangeError(`'size' must be an integer >= 12: current value is ${size}`);
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`'burst' must be an integer >= 1: current value is ${burst}`);
    }
    if (!(tickMs > 0)) throw new RangeError(`'tickMs' must be > 0: current value is ${tickMs}`);
    this.#payload = new Uint8Array(size);
    this.#view = new DataView(this.#payload.buffer);
    this.#pool = options.reactor === false;
    const stepping = () => this.#step !== undefined;
    this.#set = UdpSocketSet.open({
      ...options.tuning,
      ...(this.#pool ? {} : {
        reactor: {
          nextDeadline: () => this.#nextDeadline(),
          runDue: () => this.#tick(),
          get sliceMs() {
            return stepping() ? NO_YIELD_MS : 10;
          },
        },
      }),
    });
    this.#handles = Array.from({ length: n }, () => this.#set.bind(0));
    this.ports = this.#handles.map((h) => this.#set.port(h));
    this.#set.start((_h, _from, bytes) => this.#receive(bytes));
  }

  /** Binds the members' sockets and starts receiving. Needs `--allow-ffi`. */
  static open(options: UdpLoadOptions): UdpLoad {
    return new UdpLoad(options);
  }

  /** Sends `rate × seconds` datagrams, paced, then receives for `tailMs`; one step at a time. */
  step(step: UdpLoadStep): Promise<UdpLoadResult> {
    if (this.#step) return Promise.reject(new Error("a step is running"));
    const n = this.#handles.length;
    if (step.targets.length !== n) return Promise.reject(new RangeError(`'targets' must hold ${n} ports`));
    if (!(step.rate > 0) || !(step.seconds > 0)) {
      return Promise.reject(
        new RangeError(`'rate' and 'seconds' must be > 0: current values are ${step.rate}, ${step.seconds}`),
      );
    }
    const total = Math.round(step.rate * step.seconds);
    const stats = this.#set.stats;
    return new Promise((done) => {
      const now = performance.now();
      this.#step = {
        id: ++this.#steps,
        targets: step.targets,
        rate: step.rate,
        total,
        tailMs: step.tailMs ?? 300,
        t0: now,
        enqueued: 0,
        lastTick: now - this.#tickMs,
        sendEnd: 0,
        received: 0,
        stale: 0,
        samples: new Float64Array(total),
        sentBefore: stats.sentDatagrams,
        refusedBefore: stats.sendDropped + stats.sendErrors,
        dropsBefore: sum(readProcUdpDrops(this.ports)),
        cpuBefore: cpuMs(),
        done,
      };
      if (this.#pool) this.#interval = setInterval(() => this.#tick(), 1);
      this.#tick();
    });
  }

  /** Closes the sockets (a running step never completes). */
  async close(): Promise<void> {
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#step = undefined;
    await this.#set.closeAll();
  }

  #nextDeadline(): number {
    const s = this.#step;
    if (!s) return Infinity;
    const origin = performance.timeOrigin;
    if (s.enqueued < s.total) {
      return origin + Math.max(s.lastTick + this.#tickMs, s.t0 + (s.enqueued + 1) * 1000 / s.rate);
    }
    return origin + (s.sendEnd || performance.now()) + s.tailMs;
  }

  #tick(): void {
    const s = this.#step;
    if (!s) return;
    const now = performance.now();
    if (s.enqueued < s.total) {
      const due = Math.min(s.total, Math.floor(s.rate * (now - s.t0) / 1000));
      if (due <= s.enqueued) return;
      s.lastTick = now;
      const view = this.#view, payload = this.#payload, handles = this.#handles, targets = s.targets;
      const n = handles.length, burst = this.#burst;
      view.setFloat64(0, now, true);
      view.setUint32(8, s.id, true);
      for (let k = s.enqueued; k < due; k++) {
        const from = Math.floor(k / burst) % n;
        this.#set.send(handles[from]!, targets[(from + 1 + k % (n - 1)) % n]!, payload);
      }
      s.enqueued = due;
      if (due === s.total) s.sendEnd = now;
      return;
    }
    if (now >= s.sendEnd + s.tailMs) this.#finish(s);
  }

  #receive(bytes: Uint8Array): void {
    const s = this.#step;
    if (!s) return;
    if (bytes.length < 12) {
      s.stale++;
      return;
    }
    // No allocation per datagram (a DataView each would cost scavenges, which show in the latency).
    if ((bytes[8]! | bytes[9]! << 8 | bytes[10]! << 16 | bytes[11]! << 24) >>> 0 !== s.id) {
      s.stale++;
      return;
    }
    const scratch = this.#scratch;
    for (let i = 0; i < 8; i++) scratch[i] = bytes[i]!;
    if (s.received < s.samples.length) s.samples[s.received] = performance.now() - this.#sentAt[0]!;
    s.received++;
  }

  #finish(s: Running): void {
    this.#step = undefined;
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#interval = undefined;
    const stats = this.#set.stats;
    const got = s.samples.subarray(0, Math.min(s.received, s.samples.length)).sort();
    const q = (p: number) => got.length ? got[Math.min(got.length - 1, Math.floor(p * got.length))]! : NaN;
    s.done({
      offered: s.total,
      sent: stats.sentDatagrams - s.sentBefore,
      refused: stats.sendDropped + stats.sendErrors - s.refusedBefore,
      received: s.received,
      stale: s.stale,
      kernelDrops: sum(readProcUdpDrops(this.ports)) - s.dropsBefore,
      sendSeconds: (s.sendEnd - s.t0) / 1000,
      cpuMs: cpuMs() - s.cpuBefore,
      latency: { samples: got.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: got.length ? got[got.length - 1]! : NaN },
    });
  }
}
