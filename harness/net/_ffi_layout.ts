/**
 * The one `ArrayBuffer` of a `UdpSocketSet`: every message header,
 * iovec, address, control and payload buffer its `recvmmsg` and `sendmmsg`
 * calls use, the `epoll_wait` event array and the scratch of its setup
 * calls, laid out once and prefilled (nothing is allocated per datagram).
 * Private to `harness/net/`.
 *
 * @module
 */

import {
  addressOf,
  AF_INET,
  CMSG_SPACE_U32,
  EPOLL_EVENT_SIZE,
  IOVEC_SIZE,
  MMSGHDR_SIZE,
  MSG_CONTROL,
  MSG_IOV,
  MSG_IOVLEN,
  MSG_NAME,
  MSG_NAMELEN,
  SOCKADDR_IN_SIZE,
} from "./_libc.ts";

/** 127.0.0.1, network byte order. */
export const LOOPBACK_BE = [127, 0, 0, 1] as const;

/** `n` rounded up to a multiple of 8. */
export const align8 = (n: number): number => (n + 7) & ~7;

/** The sizes a layout is built for (already validated). */
export interface LayoutSizes {
  /** Receive slots (datagrams per `recvmmsg`). */
  readonly recvBatch: number;
  /** Largest datagram received whole. */
  readonly maxDatagram: number;
  /** Bytes per receive payload slot (`maxDatagram` rounded up to 8). */
  readonly slotSize: number;
  /** Send slots (datagrams queued before a forced flush). */
  readonly sendSlots: number;
  /** Bytes of the send arena (a multiple of 8). */
  readonly arenaBytes: number;
  /** Events per `epoll_wait`. */
  readonly maxEvents: number;
  /** Whether receive headers get a control buffer (`SO_RXQ_OVFL`). */
  readonly rxq: boolean;
}

/**
 * Layout, in order: recv msgs, iovs, addrs, cmsgs | send msgs, iovs, addrs |
 * events | scratch | recv payload | send arena. Receive headers point at
 * their address, control and payload slots; send headers at their address
 * (family and 127.0.0.1 prefilled, the port set per datagram) and iovec.
 */
export class FfiLayout {
  /** The whole buffer. */
  readonly u8: Uint8Array<ArrayBuffer>;
  /** The same, as u32 (little-endian fields of the structs). */
  readonly u32: Uint32Array;
  /** Pointer to the first receive `mmsghdr` (at offset 0). */
  readonly recvMsgs: Deno.PointerObject;
  /** Offset of the receive source addresses (`sockaddr_in` per slot). */
  readonly recvAddrOff: number;
  /** Offset of the receive control buffers (`CMSG_SPACE_U32` per slot). */
  readonly recvCtrlOff: number;
  /** Offset of the receive payload slots (`slotSize` each). */
  readonly recvPayloadOff: number;
  /** Offset of the send `mmsghdr` array. */
  readonly sendMsgsOff: number;
  /** Pointer to each send `mmsghdr` (a `sendmmsg` run starts at any of them). */
  readonly sendMsgPtrs: Deno.PointerObject[];
  /** Offset of the send iovecs. */
  readonly sendIovOff: number;
  /** Offset of the send destination addresses. */
  readonly sendAddrOff: number;
  /** Offset of the send arena (queued payloads). */
  readonly arenaOff: number;
  /** Address of the send arena. */
  readonly arenaAddr: number;
  /** The `epoll_wait` event array. */
  readonly events: Uint8Array<ArrayBuffer>;
  /** Its offset. */
  readonly eventsOff: number;
  /** Scratch: a `sockaddr_in` (bind, getsockname). */
  readonly sockaddr: Uint8Array<ArrayBuffer>;
  /** Scratch: a `socklen_t`. */
  readonly socklen: Uint8Array<ArrayBuffer>;
  /** Scratch: an int socket option. */
  readonly optval: Uint8Array<ArrayBuffer>;
  /** Scratch: one `epoll_event` (epoll_ctl). */
  readonly epollEvent: Uint8Array<ArrayBuffer>;
  /** Scratch: the eventfd's u64 (wake). */
  readonly wakeValue: Uint8Array<ArrayBuffer>;

  /** Allocates and prefills the buffer for `sizes`. */
  constructor(sizes: LayoutSizes) {
    const { recvBatch: B, sendSlots: S, slotSize, maxEvents } = sizes;
    let at = 0;
    const take = (bytes: number) => {
      const off = at;
      at = align8(at + bytes);
      return off;
    };
    take(B * MMSGHDR_SIZE);
    const recvIovOff = take(B * IOVEC_SIZE);
    const recvAddrOff = this.recvAddrOff = take(B * SOCKADDR_IN_SIZE);
    const recvCtrlOff = this.recvCtrlOff = take(B * CMSG_SPACE_U32);
    const sendMsgsOff = this.sendMsgsOff = take(S * MMSGHDR_SIZE);
    const sendIovOff = this.sendIovOff = take(S * IOVEC_SIZE);
    const sendAddrOff = this.sendAddrOff = take(S * SOCKADDR_IN_SIZE);
    const eventsOff = this.eventsOff = take(maxEvents * EPOLL_EVENT_SIZE);
    const scratchOff = take(64);
    const recvPayloadOff = this.recvPayloadOff = take(B * slotSize);
    this.arenaOff = take(sizes.arenaBytes);
    const buffer = new ArrayBuffer(at);
    const u8 = this.u8 = new Uint8Array(buffer);
    const u32 = this.u32 = new Uint32Array(buffer);
    const base = addressOf(u8);
    const ptr = (off: number) => Deno.UnsafePointer.create(BigInt(base + off))!;
    const put64 = (off: number, value: number) => {
      u32[off >> 2] = value % 0x100000000;
      u32[(off >> 2) + 1] = Math.floor(value / 0x100000000);
    };
    this.recvMsgs = ptr(0);
    for (let k = 0; k < B; k++) {
      const msg = k * MMSGHDR_SIZE;
      const iov = recvIovOff + k * IOVEC_SIZE;
      put64(msg + MSG_NAME, base + recvAddrOff + k * SOCKADDR_IN_SIZE);
      put64(msg + MSG_IOV, base + iov);
      put64(msg + MSG_IOVLEN, 1);
      if (sizes.rxq) put64(msg + MSG_CONTROL, base + recvCtrlOff + k * CMSG_SPACE_U32);
      put64(iov, base + recvPayloadOff + k * slotSize);
      put64(iov + 8, sizes.maxDatagram);
    }
    this.sendMsgPtrs = [];
    for (let k = 0; k < S; k++) {
      const msg = sendMsgsOff + k * MMSGHDR_SIZE;
      const addr = sendAddrOff + k * SOCKADDR_IN_SIZE;
      put64(msg + MSG_NAME, base + addr);
      u32[(msg + MSG_NAMELEN) >> 2] = SOCKADDR_IN_SIZE;
      put64(msg + MSG_IOV, base + sendIovOff + k * IOVEC_SIZE);
      put64(msg + MSG_IOVLEN, 1);
      u8[addr] = AF_INET; // sin_family, little-endian u16
      u8.set(LOOPBACK_BE, addr + 4);
      this.sendMsgPtrs.push(ptr(msg));
    }
    this.arenaAddr = base + this.arenaOff;
    this.events = u8.subarray(eventsOff, eventsOff + maxEvents * EPOLL_EVENT_SIZE);
    this.sockaddr = u8.subarray(scratchOff, scratchOff + 16);
    this.socklen = u8.subarray(scratchOff + 16, scratchOff + 20);
    this.optval = u8.subarray(scratchOff + 24, scratchOff + 28);
    this.epollEvent = u8.subarray(scratchOff + 32, scratchOff + 44);
    this.wakeValue = u8.subarray(scratchOff + 48, scratchOff + 56);
  }
}
