/**
 * A member's {@linkcode Transport} over one socket of a {@linkcode UdpSocketSet}.
 *
 * @module
 */

import { loopbackId, type MemberId, memberPort } from "../../lib/core/member_id.ts";
import type { UdpSocketSet } from "./ffi_udp.ts";
import type { PacketHandler, Transport } from "./transport.ts";

/**
 * {@linkcode Transport} over one socket of a {@linkcode UdpSocketSet}, so a
 * member host can use it unchanged. Many transports share one set (a shard
 * opens one set for all its members). Closing the transport closes its
 * socket, not the set.
 */
export class FfiUdpTransport implements Transport {
  /** The set this socket belongs to. */
  readonly set: UdpSocketSet;
  /** The socket's handle in {@linkcode set}. */
  readonly handle: number;
  readonly localPort: number;
  #closed = false;
  #listening = false;

  private constructor(set: UdpSocketSet, handle: number) {
    this.set = set;
    this.handle = handle;
    this.localPort = set.port(handle);
  }

  /** Binds 127.0.0.1:`port` (0 for any free port) in `set`. */
  static bind(set: UdpSocketSet, port = 0): FfiUdpTransport {
    return new FfiUdpTransport(set, set.bind(port));
  }

  /** This transport's address as a member id. */
  get localId(): MemberId {
    return loopbackId(this.localPort);
  }

  /**
   * Queues one datagram; resolves to the bytes the kernel took when the
   * set flushes (end of this turn). One promise per datagram: see
   * {@linkcode post} for the cheaper form.
   */
  send(to: MemberId, bytes: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Error("FfiUdpTransport is closed"));
    return this.set.sendTracked(this.handle, memberPort(to), bytes);
  }

  /**
   * Queues one datagram without a promise: the outcome is counted in
   * `set.socketStats(handle)` (`sentDatagrams`, `sentBytes`, `sendDropped`,
   * `sendErrors`). Throws like {@linkcode UdpSocketSet.send}.
   */
  post(to: MemberId, bytes: Uint8Array): void {
    this.set.send(this.handle, memberPort(to), bytes);
  }

  listen(handler: PacketHandler): void {
    if (this.#listening) throw new Error("FfiUdpTransport.listen() was already called");
    this.#listening = true;
    this.set.listen(this.handle, (fromPort, bytes) => handler(loopbackId(fromPort), bytes));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.set.close(this.handle);
    }
    return Promise.resolve();
  }

  /** Closes the socket (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
