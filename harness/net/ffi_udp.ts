/**
 * UDP sockets on 127.0.0.1 owned through libc (`Deno.dlopen`), in sets that
 * share one epoll instance and batch their syscalls: a set drains every
 * ready socket with `recvmmsg` and sends with `sendmmsg`, with all message
 * headers, address and payload buffers preallocated in one `ArrayBuffer`
 * (nothing is allocated per datagram but the `Uint8Array` view handed to the
 * handler).
 *
 * Readiness: one `epoll_wait` at a time, called as a `nonblocking` FFI symbol
 * (it blocks on Deno's blocking thread pool and resolves a promise), so the
 * event loop stays free. When it resolves, every ready socket is drained
 * synchronously on the JS thread, each datagram dispatched to a handler, and
 * the sends the handlers queued are flushed; then the set polls again
 * synchronously (timeout 0) while that finds more, within
 * `repollBudgetUs`, before going back to the pool. A pool round trip is the
 * expensive part (two thread wakeups: about 5 µs of CPU when the CPUs are
 * busy, up to ~40 µs when they were idle on a VM), so saving them is what
 * makes a set cheap at low load; `coalesceUs` can trade latency for fewer
 * of them under load. {@linkcode UdpSocketSet.closeAll} wakes the pending
 * wait through an `eventfd` in the same epoll set. Deno's op and resource
 * sanitizers do **not** see a pending `nonblocking` call (it keeps the
 * process alive all the same): tests check {@linkcode openSocketSets}.
 *
 * A handler that throws stops the set's polling; the error surfaces as an
 * unhandled rejection (in a worker: its `error` event).
 *
 * Sends are queued and flushed at the end of the current turn (a microtask),
 * or at the end of a receive drain, or by {@linkcode UdpSocketSet.flush}:
 * consecutive datagrams from the same socket go out in one `sendmmsg`.
 * Payloads are copied into the set's send arena, so the caller may reuse its
 * buffer at once. What the kernel took is counted per datagram (`msg_len`).
 * A send the kernel refuses with `EAGAIN`/`ENOBUFS` (socket send buffer
 * full; on loopback this practically never happens, as the skb is orphaned
 * on transmit) is **dropped and counted** (`sendDropped`), never retried:
 * UDP is best effort and a retry queue would hide overload and distort
 * timing. Any other error (`EMSGSIZE`, …) is counted in `sendErrors`.
 *
 * Kernel receive drops: `SO_RXQ_OVFL` is set on every socket (option
 * `rxqOverflow`), so each datagram received after a drop carries the
 * socket's cumulative drop count, kept in `kernelDrops`. It is only
 * updated when a datagram is received after the drops;
 * {@linkcode readProcUdpDrops} reads the `drops` column of `/proc/net/udp`
 * for a list of ports (see {@linkcode UdpSocketSet.ports}) at any time.
 *
 * Needs `--allow-ffi` (FFI is stable in Deno 2; no `--unstable-ffi`), which
 * also grants everything libc can do. x86_64 Linux only (struct layouts).
 * The sockets belong to the process, not to the isolate: a Web Worker that
 * is terminated without {@linkcode UdpSocketSet.closeAll} leaves its ports
 * bound (and one pool thread blocked) until the process exits.
 *
 * @module
 */

import {
  acquireLibc,
  addressOf,
  AF_INET,
  CMSG_DATA,
  CMSG_SPACE_U32,
  EADDRINUSE,
  EAGAIN,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EINTR,
  ENOBUFS,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_EVENT_SIZE,
  EPOLLIN,
  errnoReader,
  IOVEC_SIZE,
  type Libc,
  MMSGHDR_SIZE,
  MSG_CONTROL,
  MSG_CONTROLLEN,
  MSG_DONTWAIT,
  MSG_FLAGS,
  MSG_IOV,
  MSG_IOVLEN,
  MSG_LEN,
  MSG_NAME,
  MSG_NAMELEN,
  MSG_TRUNC,
  releaseLibc,
  SO_RCVBUF,
  SO_RXQ_OVFL,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCKADDR_IN_SIZE,
  SOL_SOCKET,
} from "./_libc.ts";
import { PortInUseError } from "./udp_transport.ts";
import { SocketError } from "./socket_error.ts";
import type {
  DatagramHandler,
  Reactor,
  SendErrorHandler,
  SocketHandler,
  UdpSocketSetOptions,
} from "./socket_set_options.ts";
import type { SocketSetStats, SocketStats } from "./socket_set_stats.ts";

export type { DatagramHandler, Reactor, SendErrorHandler, SocketHandler, UdpSocketSetOptions };
export type { SocketSetStats, SocketStats };
export { SocketError };
export { FfiUdpTransport } from "./ffi_transport.ts";
export { readProcUdpDrops } from "./proc_udp.ts";

const WAKE = 0xffffffff;
const LOOPBACK_BE = [127, 0, 0, 1] as const;
const PER_SOCKET_FIELDS = [
  "recvDatagrams",
  "recvBytes",
  "sentDatagrams",
  "sentBytes",
  "sendDropped",
  "sendErrors",
  "truncated",
  "kernelDrops",
] as const;
type PerSocketField = typeof PER_SOCKET_FIELDS[number];

const align8 = (n: number) => (n + 7) & ~7;

let liveSets = 0;

/**
 * Sets opened and not yet fully closed. Deno's op sanitizer does not see
 * a pending `nonblocking` FFI call (which keeps the process alive), so tests
 * check this instead.
 */
export function openSocketSets(): number {
  return liveSets;
}

/**
 * A set of UDP sockets on 127.0.0.1 sharing one epoll instance, one receive
 * batch and one send queue. Sockets are named by small integer handles.
 * Use from one thread (the one that opened it).
 */
export class UdpSocketSet {
  readonly #libc: Libc;
  readonly #errno: () => number;
  readonly #epfd: number;
  readonly #wakefd: number;
  readonly #recvBatch: number;
  readonly #slotSize: number;
  readonly #sendSlots: number;
  readonly #arenaBytes: number;
  readonly #maxEvents: number;
  readonly #rcvbuf: number;
  readonly #rxq: boolean;
  readonly #maxDrain: number;
  readonly #coalesceUs: number;
  readonly #repollUs: number;
  readonly #onSendError: SendErrorHandler | undefined;
  readonly #reactor: Reactor | undefined;

  // The one buffer and its views.
  readonly #u8: Uint8Array<ArrayBuffer>;
  readonly #u32: Uint32Array;
  readonly #recvMsgs: Deno.PointerObject;
  readonly #recvMsgsOff = 0;
  readonly #recvAddrOff: number;
  readonly #recvCtrlOff: number;
  readonly #recvPayloadOff: number;
  readonly #sendMsgsOff: number;
  readonly #sendMsgPtrs: Deno.PointerObject[];
  readonly #sendIovOff: number;
  readonly #sendAddrOff: number;
  readonly #arenaOff: number;
  readonly #arenaAddr: number;
  readonly #events: Uint8Array<ArrayBuffer>;
  readonly #eventsOff: number;
  readonly #sockaddr: Uint8Array<ArrayBuffer>;
  readonly #socklen: Uint8Array<ArrayBuffer>;
  readonly #optval: Uint8Array<ArrayBuffer>;
  readonly #epollEvent: Uint8Array<ArrayBuffer>;
  readonly #wakeValue: Uint8Array<ArrayBuffer>;
  /** Receive slots whose `msg_namelen`/`msg_controllen` the last call overwrote. */
  #recvDirty: number;

  // Per handle.
  #fds = new Int32Array(0);
  #gens = new Uint32Array(0);
  #ports = new Int32Array(0);
  #handlers: (SocketHandler | undefined)[] = [];
  #per: Record<PerSocketField, Float64Array>;
  readonly #free: number[] = [];
  #capacity = 0;
  #open = 0;

  // Send queue.
  readonly #sendHandle: Int32Array;
  #queued = 0;
  #arenaUsed = 0;
  #flushScheduled = false;
  readonly #flushTask = () => {
    this.#flushScheduled = false;
    this.flush();
  };
  #tracked = 0;
  #resolvers: (((n: number) => void) | undefined)[];
  #rejecters: (((e: Error) => void) | undefined)[];

  // Loop.
  #onDatagram: DatagramHandler | undefined;
  #loop: Promise<void> | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  // Totals.
  #wakeups = 0;
  #sleeps = 0;
  #emptyPolls = 0;
  #syncPolls = 0;
  #recvCalls = 0;
  #recvDatagrams = 0;
  #recvBytes = 0;
  #unhandled = 0;
  #truncated = 0;
  #recvErrors = 0;
  #sendCalls = 0;
  #sentDatagrams = 0;
  #sentBytes = 0;
  #sendDropped = 0;
  #sendErrors = 0;
  #flushes = 0;

  private constructor(libc: Libc, options: UdpSocketSetOptions) {
    this.#libc = libc;
    this.#errno = errnoReader(libc);
    const positive = (name: keyof UdpSocketSetOptions, fallback: number, min = 1) => {
      const value = (options[name] as number | undefined) ?? fallback;
      if (!Number.isInteger(value) || value < min) {
        throw new RangeError(`'${name}' must be an integer >= ${min}: current value is ${value}`);
      }
      return value;
    };
    this.#recvBatch = positive("recvBatch", 64);
    const maxDatagram = positive("maxDatagram", 65536);
    this.#slotSize = align8(maxDatagram);
    this.#sendSlots = positive("sendSlots", 256);
    this.#arenaBytes = align8(Math.max(positive("sendArenaBytes", 1 << 20), this.#slotSize));
    this.#maxEvents = positive("maxEvents", 256);
    this.#rcvbuf = positive("rcvbufBytes", 0, 0);
    this.#rxq = options.rxqOverflow ?? true;
    this.#maxDrain = positive("maxPerSocketDrain", 256);
    this.#coalesceUs = positive("coalesceUs", 0, 0);
    this.#repollUs = positive("repollBudgetUs", 1000, 0);
    this.#onSendError = options.onSendError;
    this.#reactor = options.reactor;
    const B = this.#recvBatch, S = this.#sendSlots;

    // Layout: recv msgs, iovs, addrs, cmsgs | send msgs, iovs, addrs | events | scratch | recv payload | send arena.
    let at = 0;
    const take = (bytes: number) => {
      const off = at;
      at = align8(at + bytes);
      return off;
    };
    take(B * MMSGHDR_SIZE);
    const recvIovOff = take(B * IOVEC_SIZE);
    this.#recvAddrOff = take(B * SOCKADDR_IN_SIZE);
    const recvCtrlOff = this.#recvCtrlOff = take(B * CMSG_SPACE_U32);
    this.#sendMsgsOff = take(S * MMSGHDR_SIZE);
    this.#sendIovOff = take(S * IOVEC_SIZE);
    this.#sendAddrOff = take(S * SOCKADDR_IN_SIZE);
    this.#eventsOff = take(this.#maxEvents * EPOLL_EVENT_SIZE);
    const scratchOff = take(64);
    this.#recvPayloadOff = take(B * this.#slotSize);
    this.#arenaOff = take(this.#arenaBytes);
    const buffer = new ArrayBuffer(at);
    const u8 = this.#u8 = new Uint8Array(buffer);
    this.#u32 = new Uint32Array(buffer);
    const base = addressOf(u8);
    const ptr = (off: number) => Deno.UnsafePointer.create(BigInt(base + off))!;
    const put64 = (off: number, value: number) => {
      this.#u32[off >> 2] = value % 0x100000000;
      this.#u32[(off >> 2) + 1] = Math.floor(value / 0x100000000);
    };
    this.#recvMsgs = ptr(this.#recvMsgsOff);
    for (let k = 0; k < B; k++) {
      const msg = k * MMSGHDR_SIZE;
      const iov = recvIovOff + k * IOVEC_SIZE;
      put64(msg + MSG_NAME, base + this.#recvAddrOff + k * SOCKADDR_IN_SIZE);
      put64(msg + MSG_IOV, base + iov);
      put64(msg + MSG_IOVLEN, 1);
      if (this.#rxq) put64(msg + MSG_CONTROL, base + recvCtrlOff + k * CMSG_SPACE_U32);
      put64(iov, base + this.#recvPayloadOff + k * this.#slotSize);
      put64(iov + 8, maxDatagram);
    }
    this.#recvDirty = B;
    this.#sendMsgPtrs = [];
    for (let k = 0; k < S; k++) {
      const msg = this.#sendMsgsOff + k * MMSGHDR_SIZE;
      const addr = this.#sendAddrOff + k * SOCKADDR_IN_SIZE;
      put64(msg + MSG_NAME, base + addr);
      this.#u32[(msg + MSG_NAMELEN) >> 2] = SOCKADDR_IN_SIZE;
      put64(msg + MSG_IOV, base + this.#sendIovOff + k * IOVEC_SIZE);
      put64(msg + MSG_IOVLEN, 1);
      u8[addr] = AF_INET; // sin_family, little-endian u16
      u8.set(LOOPBACK_BE, addr + 4);
      this.#sendMsgPtrs.push(ptr(msg));
    }
    this.#arenaAddr = base + this.#arenaOff;
    this.#events = u8.subarray(this.#eventsOff, this.#eventsOff + this.#maxEvents * EPOLL_EVENT_SIZE);
    this.#sockaddr = u8.subarray(scratchOff, scratchOff + 16);
    this.#socklen = u8.subarray(scratchOff + 16, scratchOff + 20);
    this.#optval = u8.subarray(scratchOff + 24, scratchOff + 28);
    this.#epollEvent = u8.subarray(scratchOff + 32, scratchOff + 44);
    this.#wakeValue = u8.subarray(scratchOff + 48, scratchOff + 56);
    this.#sendHandle = new Int32Array(S);
    this.#resolvers = new Array(S);
    this.#rejecters = new Array(S);
    this.#per = Object.fromEntries(PER_SOCKET_FIELDS.map((f) => [f, new Float64Array(0)])) as Record<
      PerSocketField,
      Float64Array
    >;

    this.#epfd = libc.epoll_create1(EPOLL_CLOEXEC);
    if (this.#epfd < 0) throw new SocketError("epoll_create1", this.#errno());
    this.#wakefd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wakefd < 0) {
      const errno = this.#errno();
      libc.close(this.#epfd);
      throw new SocketError("eventfd", errno);
    }
    if (!this.#epollAdd(this.#wakefd, WAKE, 0)) {
      const errno = this.#errno();
      libc.close(this.#wakefd);
      libc.close(this.#epfd);
      throw new SocketError("epoll_ctl", errno);
    }
  }

  /** Opens an empty set (one epoll fd, one eventfd, one buffer). Needs `--allow-ffi`. */
  static open(options: UdpSocketSetOptions = {}): UdpSocketSet {
    const libc = acquireLibc();
    try {
      const set = new UdpSocketSet(libc, options);
      liveSets++;
      return set;
    } catch (error) {
      releaseLibc();
      throw error;
    }
  }

  /**
   * Binds a new socket to 127.0.0.1:`port` (0 for any free port) and adds it
   * to the set; returns its handle. Throws {@linkcode PortInUseError} when
   * the port is taken, RangeError for a bad port, {@linkcode SocketError}
   * otherwise (e.g. EMFILE, EACCES).
   */
  bind(port = 0): number {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new RangeError(`'port' must be an integer in [0, 65535]: current value is ${port}`);
    }
    this.#checkOpen();
    const libc = this.#libc;
    const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new SocketError("socket", this.#errno());
    const fail = (call: string): never => {
      const errno = this.#errno();
      libc.close(fd);
      if (call === "bind" && errno === EADDRINUSE) throw new PortInUseError(port);
      throw new SocketError(call, errno);
    };
    const view = new DataView(this.#optval.buffer, this.#optval.byteOffset, 4);
    if (this.#rcvbuf > 0) {
      view.setInt32(0, this.#rcvbuf, true);
      if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, this.#optval, 4) < 0) fail("setsockopt(SO_RCVBUF)");
    }
    if (this.#rxq) {
      view.setInt32(0, 1, true);
      if (libc.setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, this.#optval, 4) < 0) fail("setsockopt(SO_RXQ_OVFL)");
    }
    const sa = this.#sockaddr;
    sa.fill(0);
    sa[0] = AF_INET;
    sa[2] = port >> 8;
    sa[3] = port & 0xff;
    sa.set(LOOPBACK_BE, 4);
    if (libc.bind(fd, sa, SOCKADDR_IN_SIZE) < 0) fail("bind");
    new DataView(this.#socklen.buffer, this.#socklen.byteOffset, 4).setUint32(0, SOCKADDR_IN_SIZE, true);
    if (libc.getsockname(fd, sa, this.#socklen) < 0) fail("getsockname");
    const bound = (sa[2]! << 8) | sa[3]!;

    const handle = this.#free.pop() ?? this.#grow();
    this.#gens[handle] = (this.#gens[handle]! + 1) >>> 0;
    if (!this.#epollAdd(fd, handle, this.#gens[handle]!)) fail("epoll_ctl");
    this.#fds[handle] = fd;
    this.#ports[handle] = bound;
    this.#handlers[handle] = undefined;
    for (const f of PER_SOCKET_FIELDS) this.#per[f][handle] = 0;
    this.#open++;
    return handle;
  }

  /** The bound port of an open socket. */
  port(handle: number): number {
    this.#fdOf(handle);
    return this.#ports[handle]!;
  }

  /** The ports of every open socket (e.g. for {@linkcode readProcUdpDrops}). */
  ports(): number[] {
    const out: number[] = [];
    for (let h = 0; h < this.#capacity; h++) if (this.#fds[h]! >= 0) out.push(this.#ports[h]!);
    return out;
  }

  /** The handles of every open socket. */
  handles(): number[] {
    const out: number[] = [];
    for (let h = 0; h < this.#capacity; h++) if (this.#fds[h]! >= 0) out.push(h);
    return out;
  }

  /** The socket's actual `SO_RCVBUF` (bytes, as the kernel reports it: twice what was asked). */
  rcvbuf(handle: number): number {
    const fd = this.#fdOf(handle);
    new DataView(this.#socklen.buffer, this.#socklen.byteOffset, 4).setUint32(0, 4, true);
    if (this.#libc.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, this.#optval, this.#socklen) < 0) {
      throw new SocketError("getsockopt(SO_RCVBUF)", this.#errno());
    }
    return new DataView(this.#optval.buffer, this.#optval.byteOffset, 4).getInt32(0, true);
  }

  /**
   * Queues one datagram from socket `handle` to 127.0.0.1:`toPort`. The
   * payload is copied; it goes out at the next flush (end of this turn).
   * Throws RangeError for a bad port, a closed handle or a payload larger
   * than the send arena.
   */
  send(handle: number, toPort: number, bytes: Uint8Array): void {
    this.#enqueue(handle, toPort, bytes);
  }

  /**
   * Like {@linkcode send}, but resolves to the bytes the kernel took (or
   * rejects with a {@linkcode SocketError}) when the flush happens. Costs a
   * promise per datagram; prefer `send` and the counters.
   */
  sendTracked(handle: number, toPort: number, bytes: Uint8Array): Promise<number> {
    let k: number;
    try {
      k = this.#enqueue(handle, toPort, bytes);
    } catch (error) {
      return Promise.reject(error);
    }
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.#resolvers[k] = resolve;
    this.#rejecters[k] = reject;
    this.#tracked++;
    return promise;
  }

  /** Sends every queued datagram now (`sendmmsg` per run of datagrams from the same socket). */
  flush(): void {
    const count = this.#queued;
    if (count === 0) return;
    this.#queued = 0;
    this.#arenaUsed = 0;
    this.#flushes++;
    const handles = this.#sendHandle;
    let i = 0;
    while (i < count) {
      const h = handles[i]!;
      let j = i + 1;
      while (j < count && handles[j] === h) j++;
      this.#sendRun(h, i, j);
      i = j;
    }
    if (this.#tracked > 0) {
      this.#tracked = 0;
      this.#resolvers.fill(undefined, 0, count);
      this.#rejecters.fill(undefined, 0, count);
    }
  }

  /**
   * Starts polling (idempotent). Datagrams on sockets with their own
   * handler ({@linkcode listen}) go there; the others to `onDatagram`, or
   * are counted as `unhandled` and dropped. An exception thrown by a handler
   * stops polling and surfaces as an unhandled rejection (like an uncaught
   * error in an event handler); call {@linkcode closeAll} afterwards.
   */
  start(onDatagram?: DatagramHandler): void {
    this.#checkOpen();
    if (onDatagram) this.#onDatagram = onDatagram;
    if (!this.#loop) this.#loop = this.#reactor ? this.#react() : this.#poll();
  }

  /** Gives socket `handle` its own handler and starts polling. */
  listen(handle: number, handler: SocketHandler): void {
    this.#fdOf(handle);
    this.#handlers[handle] = handler;
    this.start();
  }

  /** Closes one socket (its queued sends are flushed first). Unknown or closed handles are ignored. */
  close(handle: number): void {
    if (!Number.isInteger(handle) || handle < 0 || handle >= this.#capacity || this.#fds[handle]! < 0) return;
    this.flush();
    const fd = this.#fds[handle]!;
    this.#libc.epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd, this.#epollEvent);
    this.#libc.close(fd);
    this.#fds[handle] = -1;
    this.#gens[handle] = (this.#gens[handle]! + 1) >>> 0;
    this.#handlers[handle] = undefined;
    this.#free.push(handle);
    this.#open--;
  }

  /**
   * Flushes queued sends, wakes and awaits the pending `epoll_wait`, closes
   * every socket, the epoll fd and the eventfd, and releases libc.
   * Idempotent. A set that is never closed keeps the process alive (its
   * `epoll_wait` is pending) once started.
   */
  closeAll(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  /** Closes the set (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }

  /** Totals since the set opened. */
  get stats(): SocketSetStats {
    return {
      sockets: this.#open,
      wakeups: this.#wakeups,
      sleeps: this.#sleeps,
      emptyPolls: this.#emptyPolls,
      syncPolls: this.#syncPolls,
      recvCalls: this.#recvCalls,
      recvDatagrams: this.#recvDatagrams,
      recvBytes: this.#recvBytes,
      unhandled: this.#unhandled,
      truncated: this.#truncated,
      recvErrors: this.#recvErrors,
      sendCalls: this.#sendCalls,
      sentDatagrams: this.#sentDatagrams,
      sentBytes: this.#sentBytes,
      sendDropped: this.#sendDropped,
      sendErrors: this.#sendErrors,
      flushes: this.#flushes,
    };
  }

  /** Counters of one open socket (reset when its handle is reused). */
  socketStats(handle: number): SocketStats {
    this.#fdOf(handle);
    const p = this.#per;
    return {
      port: this.#ports[handle]!,
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

  // ---------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closing) throw new Error("UdpSocketSet is closed");
  }

  #fdOf(handle: number): number {
    const fd = handle >= 0 && handle < this.#capacity ? this.#fds[handle]! : -1;
    if (fd < 0 || !Number.isInteger(handle)) throw new RangeError(`no open socket with handle ${handle}`);
    return fd;
  }

  #grow(): number {
    const old = this.#capacity;
    const capacity = Math.max(16, old * 2);
    const grown = <T extends Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.#fds = grown(this.#fds, (n) => new Int32Array(n).fill(-1));
    this.#gens = grown(this.#gens, (n) => new Uint32Array(n));
    this.#ports = grown(this.#ports, (n) => new Int32Array(n));
    for (const f of PER_SOCKET_FIELDS) this.#per[f] = grown(this.#per[f], (n) => new Float64Array(n));
    this.#capacity = capacity;
    for (let h = capacity - 1; h > old; h--) this.#free.push(h);
    return old;
  }

  #epollAdd(fd: number, lo: number, hi: number): boolean {
    const v = new DataView(this.#epollEvent.buffer, this.#epollEvent.byteOffset, EPOLL_EVENT_SIZE);
    v.setUint32(0, EPOLLIN, true);
    v.setUint32(4, lo, true);
    v.setUint32(8, hi, true);
    return this.#libc.epoll_ctl(this.#epfd, EPOLL_CTL_ADD, fd, this.#epollEvent) === 0;
  }

  #enqueue(handle: number, toPort: number, bytes: Uint8Array): number {
    if (!(toPort >= 1 && toPort <= 0xffff) || !Number.isInteger(toPort)) {
      throw new RangeError(`'toPort' must be an integer in [1, 65535]: current value is ${toPort}`);
    }
    this.#fdOf(handle);
    const len = bytes.length;
    if (len > this.#arenaBytes) {
      throw new RangeError(`datagram of ${len} bytes exceeds the send arena (${this.#arenaBytes} bytes)`);
    }
    if (this.#queued === this.#sendSlots || this.#arenaUsed + len > this.#arenaBytes) this.flush();
    const k = this.#queued++;
    const u8 = this.#u8, u32 = this.#u32;
    const offset = this.#arenaUsed;
    u8.set(bytes, this.#arenaOff + offset);
    this.#arenaUsed = offset + len;
    const iov = (this.#sendIovOff + k * IOVEC_SIZE) >> 2;
    const address = this.#arenaAddr + offset;
    u32[iov] = address % 0x100000000;
    u32[iov + 1] = Math.floor(address / 0x100000000);
    u32[iov + 2] = len;
    const addr = this.#sendAddrOff + k * SOCKADDR_IN_SIZE;
    u8[addr + 2] = toPort >> 8;
    u8[addr + 3] = toPort & 0xff;
    this.#sendHandle[k] = handle;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushTask);
    }
    return k;
  }

  /** Sends queue entries [start, end), all from socket `h`. */
  #sendRun(h: number, start: number, end: number): void {
    const fd = this.#fds[h]!;
    const per = this.#per, u32 = this.#u32;
    let k = start;
    while (k < end) {
      const sent = fd < 0 ? -1 : this.#libc.sendmmsg(fd, this.#sendMsgPtrs[k]!, end - k, MSG_DONTWAIT);
      this.#sendCalls++;
      if (sent > 0) {
        for (let m = k; m < k + sent; m++) {
          const taken = u32[(this.#sendMsgsOff + m * MMSGHDR_SIZE + MSG_LEN) >> 2]!;
          per.sentDatagrams[h]!++;
          per.sentBytes[h]! += taken;
          this.#sentDatagrams++;
          this.#sentBytes += taken;
          if (this.#tracked > 0) this.#resolvers[m]?.(taken);
        }
        k += sent;
        continue;
      }
      // The datagram at k failed (sendmmsg reports the error of the first message only).
      const errno = fd < 0 ? 9 : this.#errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN || errno === ENOBUFS) {
        per.sendDropped[h]!++;
        this.#sendDropped++;
      } else {
        if (fd >= 0) per.sendErrors[h]!++;
        this.#sendErrors++;
      }
      if (this.#tracked > 0) this.#rejecters[k]?.(new SocketError("sendmmsg", errno));
      if (this.#onSendError) {
        const addr = this.#sendAddrOff + k * SOCKADDR_IN_SIZE;
        this.#onSendError(h, (this.#u8[addr + 2]! << 8) | this.#u8[addr + 3]!, errno);
      }
      k++;
    }
  }

  /** The reactor mode's loop: timers and readiness in one synchronous wait on this thread. */
  async #react(): Promise<void> {
    const libc = this.#libc;
    const u32 = this.#u32;
    const reactor = this.#reactor!;
    const slice = reactor.sliceMs ?? 10;
    const origin = performance.timeOrigin;
    const timespecBytes = new Uint8Array(16);
    const timespec = new DataView(timespecBytes.buffer);
    // Start after the caller's synchronous code (e.g. the other sockets' listen calls), never inside it.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    let sliceEnd = performance.now() + slice;
    while (!this.#closing) {
      const now = performance.now();
      // Yield when the slice is over, if no timer is due within 2 ms (a yield can take a millisecond or two);
      // never let a busy timer schedule hold messages back for more than two slices.
      if (now >= sliceEnd && (reactor.nextDeadline() - origin - now > 2 || now >= sliceEnd + slice)) {
        // Let messages, other timers and promises run, then go on.
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        if (this.#closing) return;
        sliceEnd = performance.now() + slice;
        continue;
      }
      const until = Math.min(reactor.nextDeadline() - origin, Math.max(sliceEnd, now + 0.2));
      // A nanosecond timeout: waking on the millisecond would make every timer up to 1 ms late.
      const waitNs = Math.max(0, Math.round((until - performance.now()) * 1e6));
      timespec.setBigInt64(0, BigInt(Math.floor(waitNs / 1e9)), true);
      timespec.setBigInt64(8, BigInt(waitNs % 1e9), true);
      const n = libc.epoll_pwait2(this.#epfd, this.#events, this.#maxEvents, timespecBytes, null);
      if (n > 0) {
        this.#wakeups++;
        for (let i = 0; i < n; i++) {
          const at = (this.#eventsOff + i * EPOLL_EVENT_SIZE + 4) >> 2;
          const handle = u32[at]!;
          if (handle === WAKE) continue;
          if (handle >= this.#capacity || this.#gens[handle] !== u32[at + 1]) continue; // closed since
          this.#drain(handle);
          if (this.#closing) return;
        }
      }
      reactor.runDue();
      this.flush();
    }
  }

  async #poll(): Promise<void> {
    const libc = this.#libc;
    const u32 = this.#u32;
    const coalesce = this.#coalesceUs;
    const busyGapMs = (4 * coalesce) / 1000;
    const budgetMs = this.#repollUs / 1000;
    let failures = 0;
    let busy = false;
    let lastWake = -Infinity;
    while (!this.#closing) {
      let n: number;
      if (busy) {
        await libc.usleep(coalesce);
        if (this.#closing) return;
        this.#sleeps++;
        n = libc.epoll_poll(this.#epfd, this.#events, this.#maxEvents, 0);
        if (n <= 0) {
          this.#emptyPolls++;
          busy = false;
          continue;
        }
      } else {
        n = await libc.epoll_wait(this.#epfd, this.#events, this.#maxEvents, -1);
        if (this.#closing) return;
        if (n < 0) {
          // errno is the pool thread's, unreadable here: EINTR is the only expected failure.
          if (++failures > 1000) throw new Error("epoll_wait keeps failing");
          continue;
        }
        failures = 0;
        this.#wakeups++;
        if (coalesce > 0) {
          const now = performance.now();
          busy = now - lastWake < busyGapMs;
          lastWake = now;
        }
      }
      // Dispatch, then re-poll synchronously while that finds more (what
      // arrived during the dispatch), within a time budget before yielding.
      const deadline = budgetMs > 0 ? performance.now() + budgetMs : 0;
      for (;;) {
        for (let i = 0; i < n; i++) {
          const at = (this.#eventsOff + i * EPOLL_EVENT_SIZE + 4) >> 2;
          const handle = u32[at]!;
          if (handle === WAKE) continue;
          if (handle >= this.#capacity || this.#gens[handle] !== u32[at + 1]) continue; // closed since
          this.#drain(handle);
          if (this.#closing) return;
        }
        this.flush();
        if (budgetMs === 0 || performance.now() >= deadline) break;
        n = libc.epoll_poll(this.#epfd, this.#events, this.#maxEvents, 0);
        if (n <= 0) break;
        this.#syncPolls++;
      }
    }
  }

  /** Reads socket `handle` until it is empty (or `maxPerSocketDrain`), dispatching each datagram. */
  #drain(handle: number): void {
    const fd = this.#fds[handle]!;
    if (fd < 0) return;
    const libc = this.#libc, u8 = this.#u8, u32 = this.#u32, per = this.#per;
    const B = this.#recvBatch, slot = this.#slotSize, rxq = this.#rxq;
    const own = this.#handlers[handle];
    const global = this.#onDatagram;
    let total = 0;
    while (total < this.#maxDrain) {
      for (let k = 0; k < this.#recvDirty; k++) {
        const msg = (k * MMSGHDR_SIZE) >> 2;
        u32[msg + (MSG_NAMELEN >> 2)] = SOCKADDR_IN_SIZE;
        if (rxq) u32[msg + (MSG_CONTROLLEN >> 2)] = CMSG_SPACE_U32;
      }
      const n = libc.recvmmsg(fd, this.#recvMsgs, B, MSG_DONTWAIT, null);
      this.#recvCalls++;
      if (n <= 0) {
        this.#recvDirty = 0;
        if (n < 0) {
          const errno = this.#errno();
          if (errno === EINTR) continue;
          if (errno !== EAGAIN) this.#recvErrors++;
        }
        return;
      }
      this.#recvDirty = n;
      total += n;
      for (let k = 0; k < n; k++) {
        const msg = k * MMSGHDR_SIZE;
        const len = u32[(msg + MSG_LEN) >> 2]!;
        this.#recvDatagrams++;
        this.#recvBytes += len;
        if (rxq && u32[(msg + MSG_CONTROLLEN) >> 2] !== 0) {
          // One cmsg: SOL_SOCKET / SO_RXQ_OVFL, a u32 of cumulative drops.
          const cmsg = (this.#recvCtrlOff + k * CMSG_SPACE_U32) >> 2;
          if (u32[cmsg + 2] === SOL_SOCKET && u32[cmsg + 3] === SO_RXQ_OVFL) {
            const drops = u32[cmsg + (CMSG_DATA >> 2)]!;
            if (drops > per.kernelDrops[handle]!) per.kernelDrops[handle] = drops;
          }
        }
        if ((u32[(msg + MSG_FLAGS) >> 2]! & MSG_TRUNC) !== 0) {
          per.truncated[handle]!++;
          this.#truncated++;
          continue;
        }
        const addr = this.#recvAddrOff + k * SOCKADDR_IN_SIZE;
        const fromPort = (u8[addr + 2]! << 8) | u8[addr + 3]!;
        const payload = this.#recvPayloadOff + k * slot;
        per.recvDatagrams[handle]!++;
        per.recvBytes[handle]! += len;
        const bytes = u8.subarray(payload, payload + len);
        if (own) own(fromPort, bytes);
        else if (global) global(handle, fromPort, bytes);
        else this.#unhandled++;
        if (this.#fds[handle] !== fd || this.#closing) return; // the handler closed this socket (or the set)
      }
      if (n < B) return;
    }
  }

  async #shutdown(): Promise<void> {
    this.flush();
    this.#closing = true;
    const libc = this.#libc;
    if (this.#loop) {
      const one = new DataView(this.#wakeValue.buffer, this.#wakeValue.byteOffset, 8);
      one.setUint32(0, 1, true);
      libc.write(this.#wakefd, this.#wakeValue, 8n);
      await this.#loop.catch(() => {});
    }
    for (let h = 0; h < this.#capacity; h++) {
      const fd = this.#fds[h]!;
      if (fd >= 0) libc.close(fd);
      this.#fds[h] = -1;
    }
    this.#open = 0;
    libc.close(this.#wakefd);
    libc.close(this.#epfd);
    releaseLibc();
    liveSets--;
  }
}
