/**
 * The send queue of a `UdpSocketSet`: each datagram's payload is
 * copied into the send arena and its prebuilt `mmsghdr` pointed at it (the
 * caller may reuse its buffer at once); the queue is flushed at the end of
 * the current turn (a microtask), or when it is full, or on demand, with
 * one `sendmmsg` per run of consecutive datagrams from the same socket.
 * What the kernel took is counted per datagram (`msg_len`); a datagram it
 * refuses is dropped and counted (`EAGAIN`/`ENOBUFS` in `sendDropped`, any
 * other error in `sendErrors`), never retried, and reported to
 * `onSendError` and to its promise when it was sent tracked. Private to
 * `harness/net/`.
 *
 * @module
 */

import type { FfiLayout } from "./_ffi_layout.ts";
import {
  EAGAIN,
  EINTR,
  ENOBUFS,
  IOVEC_SIZE,
  type Libc,
  MMSGHDR_SIZE,
  MSG_DONTWAIT,
  MSG_LEN,
  SOCKADDR_IN_SIZE,
} from "./_libc.ts";
import type { SocketTable } from "./_socket_table.ts";
import { SocketError } from "./socket_error.ts";
import type { SendErrorHandler } from "./socket_set_options.ts";

/** Queued datagrams, their arena, and the send totals. */
export class SendQueue {
  /** `sendmmsg` calls. */
  sendCalls = 0;
  /** Datagrams the kernel took. */
  sentDatagrams = 0;
  /** Bytes the kernel took. */
  sentBytes = 0;
  /** Sends refused with EAGAIN/ENOBUFS, dropped. */
  sendDropped = 0;
  /** Sends refused with another error (or queued on a socket closed before the flush). */
  sendErrors = 0;
  /** Flushes that sent something. */
  flushes = 0;

  readonly #libc: Libc;
  readonly #errno: () => number;
  readonly #table: SocketTable;
  readonly #onSendError: SendErrorHandler | undefined;
  readonly #u8: Uint8Array<ArrayBuffer>;
  readonly #u32: Uint32Array;
  readonly #sendMsgsOff: number;
  readonly #sendMsgPtrs: Deno.PointerObject[];
  readonly #sendIovOff: number;
  readonly #sendAddrOff: number;
  readonly #arenaOff: number;
  readonly #arenaAddr: number;
  readonly #arenaBytes: number;
  readonly #sendSlots: number;
  /** The sending socket of each queued datagram. */
  readonly #sendHandle: Int32Array;
  #queued = 0;
  #arenaUsed = 0;
  #flushScheduled = false;
  readonly #flushTask = () => {
    this.#flushScheduled = false;
    this.flush();
  };
  /** Queued datagrams with a promise (their settlers are at their queue index). */
  #tracked = 0;
  readonly #resolvers: (((n: number) => void) | undefined)[];
  readonly #rejecters: (((e: Error) => void) | undefined)[];

  /** A queue over the layout's `sendSlots` send slots and `arenaBytes` arena. */
  constructor(
    libc: Libc,
    errno: () => number,
    layout: FfiLayout,
    table: SocketTable,
    sizes: { readonly sendSlots: number; readonly arenaBytes: number },
    onSendError: SendErrorHandler | undefined,
  ) {
    this.#libc = libc;
    this.#errno = errno;
    this.#table = table;
    this.#onSendError = onSendError;
    this.#u8 = layout.u8;
    this.#u32 = layout.u32;
    this.#sendMsgsOff = layout.sendMsgsOff;
    this.#sendMsgPtrs = layout.sendMsgPtrs;
    this.#sendIovOff = layout.sendIovOff;
    this.#sendAddrOff = layout.sendAddrOff;
    this.#arenaOff = layout.arenaOff;
    this.#arenaAddr = layout.arenaAddr;
    this.#arenaBytes = sizes.arenaBytes;
    this.#sendSlots = sizes.sendSlots;
    this.#sendHandle = new Int32Array(sizes.sendSlots);
    this.#resolvers = new Array(sizes.sendSlots);
    this.#rejecters = new Array(sizes.sendSlots);
  }

  /**
   * Queues one datagram from socket `handle` to 127.0.0.1:`toPort` (flushing
   * first when the queue or the arena is full) and schedules a flush;
   * returns its queue index. Throws RangeError for a bad port, a closed
   * handle or a payload larger than the arena.
   */
  enqueue(handle: number, toPort: number, bytes: Uint8Array): number {
    if (!(toPort >= 1 && toPort <= 0xffff) || !Number.isInteger(toPort)) {
      throw new RangeError(`'toPort' must be an integer in [1, 65535]: current value is ${toPort}`);
    }
    this.#table.fdOf(handle);
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

  /** Like {@linkcode enqueue}, with a promise of the bytes the kernel took (rejected on any error). */
  enqueueTracked(handle: number, toPort: number, bytes: Uint8Array): Promise<number> {
    let k: number;
    try {
      k = this.enqueue(handle, toPort, bytes);
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
    this.flushes++;
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

  /** Sends queue entries [start, end), all from socket `h`. */
  #sendRun(h: number, start: number, end: number): void {
    const fd = this.#table.fds[h]!;
    const per = this.#table.per, u32 = this.#u32;
    let k = start;
    while (k < end) {
      const sent = fd < 0 ? -1 : this.#libc.sendmmsg(fd, this.#sendMsgPtrs[k]!, end - k, MSG_DONTWAIT);
      this.sendCalls++;
      if (sent > 0) {
        for (let m = k; m < k + sent; m++) {
          const taken = u32[(this.#sendMsgsOff + m * MMSGHDR_SIZE + MSG_LEN) >> 2]!;
          per.sentDatagrams[h]!++;
          per.sentBytes[h]! += taken;
          this.sentDatagrams++;
          this.sentBytes += taken;
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
        this.sendDropped++;
      } else {
        if (fd >= 0) per.sendErrors[h]!++;
        this.sendErrors++;
      }
      if (this.#tracked > 0) this.#rejecters[k]?.(new SocketError("sendmmsg", errno));
      if (this.#onSendError) {
        const addr = this.#sendAddrOff + k * SOCKADDR_IN_SIZE;
        const len = this.#u32[((this.#sendIovOff + k * IOVEC_SIZE) >> 2) + 2]!;
        this.#onSendError(h, (this.#u8[addr + 2]! << 8) | this.#u8[addr + 3]!, errno, len);
      }
      k++;
    }
  }
}
