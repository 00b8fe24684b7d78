/**
 * {@linkcode Transport} over a real UDP socket bound to 127.0.0.1
 * (`Deno.listenDatagram`, receiving into one preallocated buffer).
 *
 * @module
 */

import { loopbackId, type MemberId, memberPort } from "../../lib/core/member_id.ts";
import type { PacketHandler, Transport } from "./transport.ts";

/** A port could not be bound. */
export class PortInUseError extends Error {
  /** The port asked for. */
  readonly port: number;
  /**
   * Creates the error.
   * @param port The port that could not be bound.
   */
  constructor(port: number, options?: ErrorOptions) {
    super(`Cannot bind 127.0.0.1:${port}: the port is in use`, options);
    this.name = "PortInUseError";
    this.port = port;
  }
}

/** Binds a UDP socket on 127.0.0.1 (port 0 picks a free one). */
export function bindUdp(port = 0): Deno.DatagramConn {
  try {
    return Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new PortInUseError(port, { cause: error });
    }
    throw error;
  }
}

/** The bound port of a datagram socket. */
export function boundPort(conn: Deno.DatagramConn): number {
  return (conn.addr as Deno.NetAddr).port;
}

/** UDP transport on loopback. */
export class UdpTransport implements Transport {
  readonly #conn: Deno.DatagramConn;
  readonly localPort: number;
  #closed = false;
  #loop: Promise<void> | undefined;

  private constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    this.localPort = boundPort(conn);
  }

  /** Binds 127.0.0.1:`port` (0 for any free port). */
  static bind(port = 0): UdpTransport {
    return new UdpTransport(bindUdp(port));
  }

  /** This transport's address as a member id. */
  get localId(): MemberId {
    return loopbackId(this.localPort);
  }

  send(to: MemberId, bytes: Uint8Array): Promise<number> {
    return this.#conn.send(bytes, {
      transport: "udp",
      hostname: "127.0.0.1",
      port: memberPort(to),
    });
  }

  listen(handler: PacketHandler): void {
    if (this.#loop) throw new Error("UdpTransport.listen() was already called");
    const buffer = new Uint8Array(65536);
    this.#loop = (async () => {
      while (!this.#closed) {
        let received: [Uint8Array, Deno.Addr];
        try {
          received = await this.#conn.receive(buffer);
        } catch (error) {
          if (this.#closed) return;
          throw error;
        }
        const [bytes, addr] = received;
        const from = addr as Deno.NetAddr;
        handler(loopbackId(from.port), bytes);
      }
    })();
    this.#loop.catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#loop?.catch(() => {});
  }

  /** Closes the socket (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
