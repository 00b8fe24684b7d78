/**
 * The sockets of a `UdpSocketSet` by handle: each one's fd,
 * generation (stale epoll events are told apart by it), bound port,
 * handler and counters, in typed arrays indexed by handle and grown by
 * doubling; freed handles are reused. The receiver, the send queue and the
 * wait loops read these arrays directly (they are reassigned when the table
 * grows, so never cache them across a handler call). Private to
 * `harness/net/`.
 *
 * @module
 */

import type { Libc } from "./_libc.ts";
import type { SocketHandler } from "./socket_set_options.ts";
import type { SocketStats } from "./socket_set_stats.ts";

/** The per-socket counters, one `Float64Array` each. */
export const PER_SOCKET_FIELDS = [
  "recvDatagrams",
  "recvBytes",
  "sentDatagrams",
  "sentBytes",
  "sendDropped",
  "sendErrors",
  "truncated",
  "kernelDrops",
] as const;
/** One of {@linkcode PER_SOCKET_FIELDS}. */
export type PerSocketField = typeof PER_SOCKET_FIELDS[number];

/** Per-handle state of a set, and whether the set is closing. */
export class SocketTable {
  /** The fd of each handle, -1 when closed. */
  fds: Int32Array = new Int32Array(0);
  /** Each handle's generation, bumped when it is bound and when it is closed (in the epoll event data). */
  gens: Uint32Array = new Uint32Array(0);
  /** Each handle's bound port. */
  ports: Int32Array = new Int32Array(0);
  /** Each handle's own handler, if any. */
  readonly handlers: (SocketHandler | undefined)[] = [];
  /** The per-socket counters (the arrays are replaced when the table grows). */
  readonly per: Record<PerSocketField, Float64Array>;
  /** Length of the arrays. */
  capacity = 0;
  /** Open sockets. */
  open = 0;
  /** Set when the set starts closing: no socket is read again. */
  closing = false;
  readonly #free: number[] = [];

  /** An empty table. */
  constructor() {
    this.per = Object.fromEntries(PER_SOCKET_FIELDS.map((f) => [f, new Float64Array(0)])) as Record<
      PerSocketField,
      Float64Array
    >;
  }

  /** The fd of an open socket; throws RangeError for anything else. */
  fdOf(handle: number): number {
    const fd = handle >= 0 && handle < this.capacity ? this.fds[handle]! : -1;
    if (fd < 0 || !Number.isInteger(handle)) throw new RangeError(`no open socket with handle ${handle}`);
    return fd;
  }

  /** Whether `handle` names an open socket (no throw). */
  isOpen(handle: number): boolean {
    return Number.isInteger(handle) && handle >= 0 && handle < this.capacity && this.fds[handle]! >= 0;
  }

  /** Takes a free handle (growing the table if none) and bumps its generation. */
  claim(): number {
    const handle = this.#free.pop() ?? this.#grow();
    this.gens[handle] = (this.gens[handle]! + 1) >>> 0;
    return handle;
  }

  /** Records socket `fd`, bound to `port`, under a claimed `handle`, with zeroed counters. */
  add(handle: number, fd: number, port: number): void {
    this.fds[handle] = fd;
    this.ports[handle] = port;
    this.handlers[handle] = undefined;
    for (const f of PER_SOCKET_FIELDS) this.per[f][handle] = 0;
    this.open++;
  }

  /** Forgets an open socket (bumping its generation) and frees its handle; returns its fd. */
  remove(handle: number): number {
    const fd = this.fds[handle]!;
    this.fds[handle] = -1;
    this.gens[handle] = (this.gens[handle]! + 1) >>> 0;
    this.handlers[handle] = undefined;
    this.#free.push(handle);
    this.open--;
    return fd;
  }

  /** Closes every open socket's fd (at shutdown). */
  closeEvery(libc: Libc): void {
    for (let h = 0; h < this.capacity; h++) {
      const fd = this.fds[h]!;
      if (fd >= 0) libc.close(fd);
      this.fds[h] = -1;
    }
    this.open = 0;
  }

  /** The handles of every open socket. */
  handles(): number[] {
    const out: number[] = [];
    for (let h = 0; h < this.capacity; h++) if (this.fds[h]! >= 0) out.push(h);
    return out;
  }

  /** The ports of every open socket. */
  boundPorts(): number[] {
    const out: number[] = [];
    for (let h = 0; h < this.capacity; h++) if (this.fds[h]! >= 0) out.push(this.ports[h]!);
    return out;
  }

  /** Counters of one open socket. */
  stats(handle: number): SocketStats {
    this.fdOf(handle);
    const p = this.per;
    return {
      port: this.ports[handle]!,
      recvDatagrams: p.recvDatagrams[handle]!,
      recvBytes: p.recvBytes[handle]!,
      sentDatagrams: p.sentDatagrams[handle]!,
      sentBytes: p.sentBytes[handle]!,
      sendDropped: p.sendDropped[handle]!,
      sendErrors: p.sendErrors[handle]!,
      truncated: p.truncated[handle]!,
      kernelDrops: p.kernelDrops[handle]!,
    };
  }

  #grow(): number {
    const old = this.capacity;
    const capacity = Math.max(16, old * 2);
    const grown = <T extends Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.fds = grown(this.fds, (n) => new Int32Array(n).fill(-1));
    this.gens = grown(this.gens, (n) => new Uint32Array(n));
    this.ports = grown(this.ports, (n) => new Int32Array(n));
    for (const f of PER_SOCKET_FIELDS) this.per[f] = grown(this.per[f], (n) => new Float64Array(n));
    this.capacity = capacity;
    for (let h = capacity - 1; h > old; h--) this.#free.push(h);
    return old;
  }
}
