/**
 * The proxy's public sockets behind one small interface, in two builds:
 * libc sockets in one {@linkcode UdpSocketSet} (batched `recvmmsg` and
 * `sendmmsg`, optionally as the thread's reactor running the delay queue),
 * and Deno's own `Deno.DatagramConn`s (one receive loop per socket) where
 * FFI is not allowed. The relay logic in `udp_proxy.ts` is the same over
 * both: a synchronous handler per datagram, sends that copy their payload,
 * and refused sends reported back so the books stay exact.
 *
 * @module
 */

import { UdpSocketSet } from "../net/ffi_udp.ts";
import type { Reactor } from "../net/socket_set_options.ts";
import { bindUdp, boundPort } from "../net/udp_transport.ts";

/** Called for every datagram a public socket receives; `bytes` is valid only during the call. */
export type RelayHandler = (socket: number, fromPort: number, bytes: Uint8Array) => void;

/** Called for every relayed copy the kernel refused, after it was counted as sent. */
export type RefusedHandler = (socket: number, toPort: number, bytes: number) => void;

/** Which sockets a proxy relays through. */
export type RelaySocketKind = "ffi" | "deno";

/** The proxy's public sockets, numbered 0… in the order their ports were given. */
export interface RelaySockets {
  /** Which build. */
  readonly kind: RelaySocketKind;
  /** The bound port of each socket. */
  readonly ports: readonly number[];
  /** Starts receiving: every datagram goes to `handler`. */
  start(handler: RelayHandler): void;
  /** Sends `bytes` (copied at once) from socket `socket` to 127.0.0.1:`toPort`. */
  send(socket: number, toPort: number, bytes: Uint8Array): void;
  /** Closes every socket; queued sends go out first. */
  close(): Promise<void>;
}

/** Options of {@linkcode openRelaySockets}. */
export interface RelaySocketOptions {
  /** Which build; FFI needs `--allow-ffi`. */
  readonly kind: RelaySocketKind;
  /** Called for every refused send. */
  readonly onRefused: RefusedHandler;
  /** FFI only: run the set as this thread's reactor, running these timers. */
  readonly reactor?: Reactor;
}

/** The build to use when none is asked for: FFI when this process may use it (x86_64 Linux), Deno's otherwise. */
export function defaultRelaySockets(): RelaySocketKind {
  const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  return ffi && Deno.build.os === "linux" && Deno.build.arch === "x86_64" ? "ffi" : "deno";
}

/** Binds one socket per port (0: any free port); throws `PortInUseError` for a taken port, closing what it bound. */
export function openRelaySockets(ports: readonly number[], options: RelaySocketOptions): RelaySockets {
  return options.kind === "ffi" ? FfiRelaySockets.open(ports, options) : DenoRelaySockets.open(ports, options);
}

class FfiRelaySockets implements RelaySockets {
  readonly kind = "ffi";
  readonly ports: readonly number[];
  readonly #set: UdpSocketSet;
  /** Socket number of each set handle. */
  readonly #socketOf: Int32Array;
  readonly #handles: Int32Array;

  private constructor(set: UdpSocketSet, handles: number[]) {
    this.#set = set;
    this.#handles = Int32Array.from(handles);
    this.#socketOf = new Int32Array(Math.max(0, ...handles) + 1).fill(-1);
    handles.forEach((h, i) => this.#socketOf[h] = i);
    this.ports = handles.map((h) => set.port(h));
  }

  static open(ports: readonly number[], options: RelaySocketOptions): FfiRelaySockets {
    // Set handles to socket numbers, filled once every socket is bound (no send happens before).
    const socketOf: { of?: Int32Array } = {};
    const set = UdpSocketSet.open({
      ...(options.reactor ? { reactor: options.reactor } : {}),
      onSendError: (h, toPort, _errno, bytes) => options.onRefused(socketOf.of![h]!, toPort, bytes),
    });
    const handles: number[] = [];
    try {
      for (const port of ports) handles.push(set.bind(port));
    } catch (error) {
      void set.closeAll();
      throw error;
    }
    const self = new FfiRelaySockets(set, handles);
    socketOf.of = self.#socketOf;
    return self;
  }

  start(handler: RelayHandler): void {
    const socketOf = this.#socketOf;
    this.#set.start((h, fromPort, bytes) => handler(socketOf[h]!, fromPort, bytes));
  }

  send(socket: number, toPort: number, bytes: Uint8Array): void {
    this.#set.send(this.#handles[socket]!, toPort, bytes);
  }

  close(): Promise<void> {
    return this.#set.closeAll();
  }
}

class DenoRelaySockets implements RelaySockets {
  readonly kind = "deno";
  readonly ports: readonly number[];
  readonly #conns: Deno.DatagramConn[];
  readonly #onRefused: RefusedHandler;
  readonly #loops: Promise<void>[] = [];
  /** Sends not yet settled: a receive loop awaits its handler's before reusing its buffer's turn. */
  #pending: Promise<void>[] = [];
  readonly #addresses = new Map<number, Deno.NetAddr>();
  #closed = false;

  private constructor(conns: Deno.DatagramConn[], onRefused: RefusedHandler) {
    this.#conns = conns;
    this.#onRefused = onRefused;
    this.ports = conns.map(boundPort);
  }

  static open(ports: readonly number[], options: RelaySocketOptions): DenoRelaySockets {
    const conns: Deno.DatagramConn[] = [];
    try {
      for (const port of ports) conns.push(bindUdp(port));
    } catch (error) {
      for (const c of conns) c.close();
      throw error;
    }
    return new DenoRelaySockets(conns, options.onRefused);
  }

  start(handler: RelayHandler): void {
    if (this.#loops.length > 0) return;
    this.#conns.forEach((conn, socket) => this.#loops.push(this.#receive(conn, socket, handler)));
  }

  async #receive(conn: Deno.DatagramConn, socket: number, handler: RelayHandler): Promise<void> {
    const buffer = new Uint8Array(65536);
    while (!this.#closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      const [bytes, addr] = received;
      const source = addr as Deno.NetAddr;
      // Port 0 is never a member's: a source off 127.0.0.1 is unknown.
      handler(socket, source.hostname === "127.0.0.1" ? source.port : 0, bytes);
      if (this.#pending.length > 0) {
        // Backpressure: what this datagram caused goes out before the next is read.
        const sends = this.#pending;
        this.#pending = [];
        await Promise.all(sends);
      }
    }
  }

  send(socket: number, toPort: number, bytes: Uint8Array): void {
    let address = this.#addresses.get(toPort);
    if (!address) this.#addresses.set(toPort, address = { transport: "udp", hostname: "127.0.0.1", port: toPort });
    const length = bytes.length;
    this.#pending.push(
      this.#conns[socket]!.send(bytes.slice(), address).then(
        () => {},
        () => this.#onRefused(socket, toPort, length),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sends = this.#pending;
    this.#pending = [];
    await Promise.all(sends);
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#loops);
  }
}
