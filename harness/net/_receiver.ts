/**
 * The receiving side of a `UdpSocketSet`: for each socket an
 * epoll wait reported ready, `recvmmsg` batches into the preallocated
 * slots until the socket is empty (or `maxPerSocketDrain`), each datagram
 * dispatched to its socket's handler or the set's; datagrams longer than a
 * slot are counted and dropped, and the `SO_RXQ_OVFL` control message
 * updates the socket's kernel drop count. Nothing is allocated per
 * datagram but the `Uint8Array` view handed to the handler. Private to
 * `harness/net/`.
 *
 * @module
 */

import type { FfiLayout } from "./_ffi_layout.ts";
import {
  CMSG_DATA,
  CMSG_SPACE_U32,
  EAGAIN,
  EINTR,
  type Libc,
  MMSGHDR_SIZE,
  MSG_CONTROLLEN,
  MSG_DONTWAIT,
  MSG_FLAGS,
  MSG_LEN,
  MSG_NAMELEN,
  MSG_TRUNC,
  SO_RXQ_OVFL,
  SOCKADDR_IN_SIZE,
  SOL_SOCKET,
} from "./_libc.ts";
import type { SocketTable } from "./_socket_table.ts";
import type { DatagramHandler } from "./socket_set_options.ts";

/** What the receiver needs to know beyond the layout. */
export interface ReceiverSizes {
  readonly recvBatch: number;
  readonly slotSize: number;
  readonly rxq: boolean;
  readonly maxDrain: number;
}

/** Drains ready sockets and dispatches their datagrams; keeps the receive totals. */
export class Receiver {
  /** Handler of the datagrams of sockets without their own. */
  onDatagram: DatagramHandler | undefined;
  /** `recvmmsg` calls. */
  recvCalls = 0;
  /** Datagrams received (delivered or not). */
  recvDatagrams = 0;
  /** Their bytes. */
  recvBytes = 0;
  /** Datagrams received on a socket with no handler. */
  unhandled = 0;
  /** Datagrams longer than a slot, dropped. */
  truncated = 0;
  /** `recvmmsg` failures other than EAGAIN. */
  recvErrors = 0;

  readonly #libc: Libc;
  readonly #errno: () => number;
  readonly #table: SocketTable;
  readonly #u8: Uint8Array<ArrayBuffer>;
  readonly #u32: Uint32Array;
  readonly #recvMsgs: Deno.PointerObject;
  readonly #recvAddrOff: number;
  readonly #recvCtrlOff: number;
  readonly #recvPayloadOff: number;
  readonly #recvBatch: number;
  readonly #slotSize: number;
  readonly #rxq: boolean;
  readonly #maxDrain: number;
  /** Receive slots whose `msg_namelen`/`msg_controllen` the last call overwrote. */
  #recvDirty: number;

  /** A receiver over the layout's receive slots. */
  constructor(libc: Libc, errno: () => number, layout: FfiLayout, table: SocketTable, sizes: ReceiverSizes) {
    this.#libc = libc;
    this.#errno = errno;
    this.#table = table;
    this.#u8 = layout.u8;
    this.#u32 = layout.u32;
    this.#recvMsgs = layout.recvMsgs;
    this.#recvAddrOff = layout.recvAddrOff;
    this.#recvCtrlOff = layout.recvCtrlOff;
    this.#recvPayloadOff = layout.recvPayloadOff;
    this.#recvBatch = sizes.recvBatch;
    this.#slotSize = sizes.slotSize;
    this.#rxq = sizes.rxq;
    this.#maxDrain = sizes.maxDrain;
    this.#recvDirty = sizes.recvBatch;
  }

  /** Reads socket `handle` until it is empty (or `maxPerSocketDrain`), dispatching each datagram. */
  drain(handle: number): void {
    const table = this.#table;
    const fd = table.fds[handle]!;
    if (fd < 0) return;
    const libc = this.#libc, u8 = this.#u8, u32 = this.#u32, per = table.per;
    const B = this.#recvBatch, slot = this.#slotSize, rxq = this.#rxq;
    const own = table.handlers[handle];
    const global = this.onDatagram;
    let total = 0;
    while (total < this.#maxDrain) {
      for (let k = 0; k < this.#recvDirty; k++) {
        const msg = (k * MMSGHDR_SIZE) >> 2;
        u32[msg + (MSG_NAMELEN >> 2)] = SOCKADDR_IN_SIZE;
        if (rxq) u32[msg + (MSG_CONTROLLEN >> 2)] = CMSG_SPACE_U32;
      }
      const n = libc.recvmmsg(fd, this.#recvMsgs, B, MSG_DONTWAIT, null);
      this.recvCalls++;
      if (n <= 0) {
        this.#recvDirty = 0;
        if (n < 0) {
          const errno = this.#errno();
          if (errno === EINTR) continue;
          if (errno !== EAGAIN) this.recvErrors++;
        }
        return;
      }
      this.#recvDirty = n;
      total += n;
      for (let k = 0; k < n; k++) {
        const msg = k * MMSGHDR_SIZE;
        const len = u32[(msg + MSG_LEN) >> 2]!;
        this.recvDatagrams++;
        this.recvBytes += len;
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
          this.truncated++;
          continue;
        }
        const addr = this.#recvAddrOff + k * SOCKADDR_IN_SIZE;
        // A source other than 127.0.0.1 (another loopback address) reads as port 0: never a member's.
        const fromPort = u8[addr + 4] === 127 && u8[addr + 5] === 0 && u8[addr + 6] === 0 && u8[addr + 7] === 1
          ? (u8[addr + 2]! << 8) | u8[addr + 3]!
          : 0;
        const payload = this.#recvPayloadOff + k * slot;
        per.recvDatagrams[handle]!++;
        per.recvBytes[handle]! += len;
        const bytes = u8.subarray(payload, payload + len);
        if (own) own(fromPort, bytes);
        else if (global) global(handle, fromPort, bytes);
        else this.unhandled++;
        if (table.fds[handle] !== fd || table.closing) return; // the handler closed this socket (or the set)
      }
      if (n < B) return;
    }
  }
}
