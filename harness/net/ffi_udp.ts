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
 * The parts, one file each: the buffer layout (`_ffi_layout.ts`), the
 * sockets by handle (`_socket_table.ts`), opening one socket
 * (`_socket.ts`), the epoll set and its wake fd (`_epoll.ts`), the receiver
 * (`_receiver.ts`), the send queue (`_send_queue.ts`) and the two wait
 * loops (`_pool_loop.ts`, `_reactor_loop.ts`); the public types are in
 * `socket_set_options.ts`, `socket_set_stats.ts` and `socket_error.ts`,
 * {@linkcode FfiUdpTransport} in `ffi_transport.ts` and
 * {@linkcode readProcUdpDrops} in `proc_udp.ts`, all exported from here.
 *
 * @module
 */

import { align8, FfiLayout } from "./_ffi_layout.ts";
import { Epoll } from "./_epoll.ts";
import { acquireLibc, errnoReader, type Libc, releaseLibc } from "./_libc.ts";
import { PoolLoop } from "./_pool_loop.ts";
import { ReactorLoop } from "./_reactor_loop.ts";
import { Receiver } from "./_receiver.ts";
import { SendQueue } from "./_send_queue.ts";
import { openBoundSocket, readRcvbuf } from "./_socket.ts";
import { SocketTable } from "./_socket_table.ts";
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
  readonly #rcvbuf: number;
  readonly #rxq: boolean;
  readonly #layout: FfiLayout;
  readonly #table = new SocketTable();
  readonly #receiver: Receiver;
  readonly #queue: SendQueue;
  readonly #epoll: Epoll;
  /** The wait loop: exactly one of the two, as `reactor` was given or not. */
  readonly #pool: PoolLoop | undefined;
  readonly #reactor: ReactorLoop | undefined;
  #loop: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(libc: Libc, options: UdpSocketSetOptions) {
    this.#libc = libc;
    const errno = this.#errno = errnoReader(libc);
    const positive = (name: keyof UdpSocketSetOptions, fallback: number, min = 1) => {
      const value = (options[name] as number | undefined) ?? fallback;
      if (!Number.isInteger(value) || value < min) {
        throw new RangeError(`'${name}' must be an integer >= ${min}: current value is ${value}`);
      }
      return value;
    };
    const recvBatch = positive("recvBatch", 64);
    const maxDatagram = positive("maxDatagram", 65536);
    const slotSize = align8(maxDatagram);
    const sendSlots = positive("sendSlots", 256);
    const arenaBytes = align8(Math.max(positive("sendArenaBytes", 1 << 20), slotSize));
    const maxEvents = positive("maxEvents", 256);
    this.#rcvbuf = positive("rcvbufBytes", 0, 0);
    const rxq = this.#rxq = options.rxqOverflow ?? true;
    const maxDrain = positive("maxPerSocketDrain", 256);
    const coalesceUs = positive("coalesceUs", 0, 0);
    const repollBudgetUs = positive("repollBudgetUs", 1000, 0);

    const layout = this.#layout = new FfiLayout({
      recvBatch,
      maxDatagram,
      slotSize,
      sendSlots,
      arenaBytes,
      maxEvents,
      rxq,
    });
    const table = this.#table;
    const receiver = this.#receiver = new Receiver(libc, errno, layout, table, { recvBatch, slotSize, rxq, maxDrain });
    const queue = this.#queue = new SendQueue(
      libc,
      errno,
      layout,
      table,
      { sendSlots, arenaBytes },
      options.onSendError,
    );
    const epoll = this.#epoll = new Epoll(libc, errno, layout, maxEvents);
    if (options.reactor) this.#reactor = new ReactorLoop(libc, epoll, table, receiver, queue, options.reactor);
    else this.#pool = new PoolLoop(libc, epoll, table, receiver, queue, { coalesceUs, repollBudgetUs });
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
    const libc = this.#libc, table = this.#table;
    const socket = openBoundSocket(libc, this.#errno, this.#layout, port, this.#rcvbuf, this.#rxq);
    const handle = table.claim();
    if (!this.#epoll.add(socket.fd, handle, table.gens[handle]!)) {
      const errno = this.#errno();
      libc.close(socket.fd);
      throw new SocketError("epoll_ctl", errno);
    }
    table.add(handle, socket.fd, socket.port);
    return handle;
  }

  /** The bound port of an open socket. */
  port(handle: number): number {
    this.#table.fdOf(handle);
    return this.#table.ports[handle]!;
  }

  /** The ports of every open socket (e.g. for {@linkcode readProcUdpDrops}). */
  ports(): number[] {
    return this.#table.boundPorts();
  }

  /** The handles of every open socket. */
  handles(): number[] {
    return this.#table.handles();
  }

  /** The socket's actual `SO_RCVBUF` (bytes, as the kernel reports it: twice what was asked). */
  rcvbuf(handle: number): number {
    return readRcvbuf(this.#libc, this.#errno, this.#layout, this.#table.fdOf(handle));
  }

  /**
   * Queues one datagram from socket `handle` to 127.0.0.1:`toPort`. The
   * payload is copied; it goes out at the next flush (end of this turn).
   * Throws RangeError for a bad port, a closed handle or a payload larger
   * than the send arena.
   */
  send(handle: number, toPort: number, bytes: Uint8Array): void {
    this.#queue.enqueue(handle, toPort, bytes);
  }

  /**
   * Like {@linkcode send}, but resolves to the bytes the kernel took (or
   * rejects with a {@linkcode SocketError}) when the flush happens. Costs a
   * promise per datagram; prefer `send` and the counters.
   */
  sendTracked(handle: number, toPort: number, bytes: Uint8Array): Promise<number> {
    return this.#queue.enqueueTracked(handle, toPort, bytes);
  }

  /** Sends every queued datagram now (`sendmmsg` per run of datagrams from the same socket). */
  flush(): void {
    this.#queue.flush();
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
    if (onDatagram) this.#receiver.onDatagram = onDatagram;
    this.#loop ??= this.#reactor ? this.#reactor.run() : this.#pool!.run();
  }

  /** Gives socket `handle` its own handler and starts polling. */
  listen(handle: number, handler: SocketHandler): void {
    this.#table.fdOf(handle);
    this.#table.handlers[handle] = handler;
    this.start();
  }

  /** Closes one socket (its queued sends are flushed first). Unknown or closed handles are ignored. */
  close(handle: number): void {
    if (!this.#table.isOpen(handle)) return;
    this.#queue.flush();
    const fd = this.#table.fds[handle]!;
    this.#epoll.remove(fd);
    this.#libc.close(fd);
    this.#table.remove(handle);
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
    const r = this.#receiver, q = this.#queue, pool = this.#pool;
    return {
      sockets: this.#table.open,
      wakeups: pool ? pool.wakeups : this.#reactor!.wakeups,
      sleeps: pool?.sleeps ?? 0,
      emptyPolls: pool?.emptyPolls ?? 0,
      syncPolls: pool?.syncPolls ?? 0,
      recvCalls: r.recvCalls,
      recvDatagrams: r.recvDatagrams,
      recvBytes: r.recvBytes,
      unhandled: r.unhandled,
      truncated: r.truncated,
      recvErrors: r.recvErrors,
      sendCalls: q.sendCalls,
      sentDatagrams: q.sentDatagrams,
      sentBytes: q.sentBytes,
      sendDropped: q.sendDropped,
      sendErrors: q.sendErrors,
      flushes: q.flushes,
    };
  }

  /** Counters of one open socket (reset when its handle is reused). */
  socketStats(handle: number): SocketStats {
    return this.#table.stats(handle);
  }

  #checkOpen(): void {
    if (this.#table.closing) throw new Error("UdpSocketSet is closed");
  }

  async #shutdown(): Promise<void> {
    this.flush();
    this.#table.closing = true;
    if (this.#loop) {
      this.#epoll.wake();
      await this.#loop.catch(() => {});
    }
    this.#table.closeEvery(this.#libc);
    this.#epoll.close();
    releaseLibc();
    liveSets--;
  }
}
