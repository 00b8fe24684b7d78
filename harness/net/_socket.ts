/**
 * One libc UDP socket of a `UdpSocketSet`: opened nonblocking and
 * close-on-exec, its options set, bound to 127.0.0.1, and its actual
 * receive buffer read back. The calls go through the set's scratch buffers
 * (see `_ffi_layout.ts`). Private to `harness/net/`.
 *
 * @module
 */

import { LOOPBACK_BE } from "./_ffi_layout.ts";
import {
  AF_INET,
  EADDRINUSE,
  type Libc,
  SO_RCVBUF,
  SO_RXQ_OVFL,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCKADDR_IN_SIZE,
  SOL_SOCKET,
} from "./_libc.ts";
import { SocketError } from "./socket_error.ts";
import { PortInUseError } from "./udp_transport.ts";

/** The scratch buffers the calls use. */
export interface SocketScratch {
  readonly sockaddr: Uint8Array<ArrayBuffer>;
  readonly socklen: Uint8Array<ArrayBuffer>;
  readonly optval: Uint8Array<ArrayBuffer>;
}

/** What {@linkcode openBoundSocket} opened. */
export interface BoundSocket {
  readonly fd: number;
  /** The port it is bound to (the kernel's pick when 0 was asked). */
  readonly port: number;
}

/**
 * Opens a socket, sets `SO_RCVBUF` (when `rcvbuf` > 0) and `SO_RXQ_OVFL`
 * (when `rxq`), binds it to 127.0.0.1:`port` and reads the bound port.
 * Closes it and throws {@linkcode PortInUseError} when the port is taken,
 * {@linkcode SocketError} on any other failure.
 */
export function openBoundSocket(
  libc: Libc,
  errno: () => number,
  scratch: SocketScratch,
  port: number,
  rcvbuf: number,
  rxq: boolean,
): BoundSocket {
  const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SocketError("socket", errno());
  const fail = (call: string): never => {
    const e = errno();
    libc.close(fd);
    if (call === "bind" && e === EADDRINUSE) throw new PortInUseError(port);
    throw new SocketError(call, e);
  };
  const { optval, sockaddr: sa, socklen } = scratch;
  const view = new DataView(optval.buffer, optval.byteOffset, 4);
  if (rcvbuf > 0) {
    view.setInt32(0, rcvbuf, true);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, optval, 4) < 0) fail("setsockopt(SO_RCVBUF)");
  }
  if (rxq) {
    view.setInt32(0, 1, true);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, optval, 4) < 0) fail("setsockopt(SO_RXQ_OVFL)");
  }
  sa.fill(0);
  sa[0] = AF_INET;
  sa[2] = port >> 8;
  sa[3] = port & 0xff;
  sa.set(LOOPBACK_BE, 4);
  if (libc.bind(fd, sa, SOCKADDR_IN_SIZE) < 0) fail("bind");
  new DataView(socklen.buffer, socklen.byteOffset, 4).setUint32(0, SOCKADDR_IN_SIZE, true);
  if (libc.getsockname(fd, sa, socklen) < 0) fail("getsockname");
  return { fd, port: (sa[2]! << 8) | sa[3]! };
}

/** The socket's actual `SO_RCVBUF` (bytes, as the kernel reports it: twice what was asked). */
export function readRcvbuf(libc: Libc, errno: () => number, scratch: SocketScratch, fd: number): number {
  const { optval, socklen } = scratch;
  new DataView(socklen.buffer, socklen.byteOffset, 4).setUint32(0, 4, true);
  if (libc.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, optval, socklen) < 0) {
    throw new SocketError("getsockopt(SO_RCVBUF)", errno());
  }
  return new DataView(optval.buffer, optval.byteOffset, 4).getInt32(0, true);
}
