/**
 * The TCP side of the proxy. memberlist and Serf use TCP on the same port
 * as UDP (joins, the periodic push-pull, the fallback ping when UDP probes
 * fail), so a crash by proxy must cut TCP as well. The relay listens on
 * every member's public port (127.0.0.1, the UDP proxy's port numbers); a
 * connection accepted there is connected on to the member's private port
 * and piped both ways.
 *
 * The initiator: real members dial without choosing a local address, so
 * the connection comes from an ephemeral port. The `identify` hook names
 * the member that dialled (the proxy finds it from the socket's inode in
 * `/proc`, see `../os/socket_owner.ts`); when it cannot (a process that is
 * no member's dialled a port the proxy now holds, or a member restarted a
 * moment before its process id arrived), the initiator is unknown (-1),
 * counted apart, and only the target's faults apply.
 *
 * Faults, judged per chunk at the time it is read (`judgeStream`): a black
 * hole of either end (crash by proxy), a killed end (the process's kernel
 * would close its connections: that close is withheld too, as from a dead
 * host), a partition cut from → to (isolation included). A faulted direction is cut for the rest
 * of the connection (a stream with a gap is no stream): its bytes are read
 * and withheld, and its end of stream is withheld too, so the other end
 * sees neither data nor FIN nor RST, as from a dead host. A connection
 * accepted while its initiator → target direction is faulted is never
 * connected to the target at all. The connection is closed once both
 * directions have ended (an initiator that times out closes its end).
 * Per-datagram impairments (loss, delay, ...) stay UDP's.
 *
 * Books (`TcpBooks`): every byte read is relayed, withheld or in flight,
 * per direction of every connection, by the member that sent it.
 *
 * @module
 */

import { judgeStream } from "../faults/judge.ts";
import type { FaultState } from "../faults/state.ts";
import { PortInUseError } from "../net/udp_transport.ts";
import { type StreamLedger, TcpBooks, type TcpCounters } from "./books.ts";

/** Finds the member that dialled from 127.0.0.1:`clientPort` to the public port `serverPort`. */
export type IdentifyInitiator = (
  clientPort: number,
  serverPort: number,
) => Promise<number | undefined> | number | undefined;

/** Options of {@linkcode TcpRelay.start}. */
export interface TcpRelayOptions {
  /** The port to listen on for each member, by index (the same numbers as its UDP public port). */
  readonly publicPorts: readonly number[];
  /** Each member's private port, where its connections are relayed to. */
  readonly memberPorts: readonly number[];
  /** The fault state, shared with the UDP relay. */
  readonly faults: FaultState;
  /** Names the initiator of a connection; without it every initiator is unknown. */
  readonly identify?: IdentifyInitiator;
}

interface Connection {
  readonly client: Deno.TcpConn;
  target: Deno.TcpConn | null;
}

const BUFFER_BYTES = 64 * 1024;

/** The TCP relay, running in the current event loop. */
export class TcpRelay {
  readonly #o: TcpRelayOptions;
  readonly #listeners: Deno.TcpListener[];
  readonly #books: TcpBooks;
  readonly #conns = new Set<Connection>();
  readonly #tasks = new Set<Promise<void>>();
  #closed = false;

  private constructor(options: TcpRelayOptions, listeners: Deno.TcpListener[]) {
    this.#o = options;
    this.#listeners = listeners;
    this.#books = new TcpBooks(options.memberPorts.length);
  }

  /** Listens on every public port and starts relaying; throws `PortInUseError` when a port is taken. */
  static start(options: TcpRelayOptions): TcpRelay {
    if (options.publicPorts.length !== options.memberPorts.length) {
      throw new RangeError(
        `'publicPorts' must hold one port per member (${options.memberPorts.length}): it holds ${options.publicPorts.length}`,
      );
    }
    const listeners: Deno.TcpListener[] = [];
    try {
      for (const port of options.publicPorts) {
        try {
          listeners.push(Deno.listen({ hostname: "127.0.0.1", port, transport: "tcp" }));
        } catch (error) {
          if (error instanceof Deno.errors.AddrInUse) throw new PortInUseError(port, { cause: error });
          throw error;
        }
      }
    } catch (error) {
      for (const l of listeners) l.close();
      throw error;
    }
    const relay = new TcpRelay(options, listeners);
    listeners.forEach((listener, to) => relay.#track(relay.#accept(listener, to)));
    return relay;
  }

  /** The relay's books now. */
  counters(): TcpCounters {
    return this.#books.snapshot();
  }

  /** Stops listening, closes every connection and waits for its pumps to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of this.#listeners) tryClose(l);
    for (const c of this.#conns) {
      tryClose(c.client);
      if (c.target) tryClose(c.target);
    }
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #accept(listener: Deno.TcpListener, to: number): Promise<void> {
    while (!this.#closed) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept();
      } catch {
        if (this.#closed) return;
        continue; // a connection reset before it was accepted
      }
      if (this.#closed) {
        tryClose(client);
        return;
      }
      this.#track(this.#serve(client, to));
    }
  }

  async #serve(client: Deno.TcpConn, to: number): Promise<void> {
    const conn: Connection = { client, target: null };
    this.#conns.add(conn);
    const books = this.#books;
    let ledgers: readonly [StreamLedger, StreamLedger] | undefined;
    try {
      const clientPort = (client.remoteAddr as Deno.NetAddr).port;
      let from = -1;
      try {
        from = (await this.#o.identify?.(clientPort, this.#o.publicPorts[to]!)) ?? -1;
      } catch {
        // unknown
      }
      ledgers = books.open(from, to);
      if (this.#closed) return;
      if (judgeStream(this.#o.faults, from, to) !== "accepted") {
        // As to a dead host: the bytes are read and withheld, the target never hears of it.
        books.parked++;
        await this.#pump(client, null, from, to, ledgers[0], true);
        return;
      }
      try {
        conn.target = await Deno.connect({ hostname: "127.0.0.1", port: this.#o.memberPorts[to]!, transport: "tcp" });
      } catch {
        // The target's port is closed (its process is gone): the initiator is refused, as by that host.
        books.refused++;
        return;
      }
      if (this.#closed) return;
      for (const c of [client, conn.target]) {
        try {
          c.setNoDelay(true);
        } catch {
          // closed meanwhile
        }
      }
      await Promise.all([
        this.#pump(client, conn.target, from, to, ledgers[0], false),
        this.#pump(conn.target, client, to, from, ledgers[1], false),
      ]);
    } finally {
      tryClose(client);
      if (conn.target) tryClose(conn.target);
      if (ledgers) books.close(ledgers);
      this.#conns.delete(conn);
    }
  }

  /**
   * Relays one direction until its source ends: each chunk is judged when
   * read; once a chunk is withheld the direction stays cut. `dst` null: cut
   * from the start (a parked connection).
   */
  async #pump(
    src: Deno.TcpConn,
    dst: Deno.TcpConn | null,
    from: number,
    to: number,
    ledger: StreamLedger,
    cutFromStart: boolean,
  ): Promise<void> {
    const books = this.#books;
    const faults = this.#o.faults;
    const buffer = new Uint8Array(BUFFER_BYTES);
    let cut = cutFromStart || dst === null;
    let broken = false;
    while (true) {
      let n: number | null;
      try {
        n = await src.read(buffer);
      } catch {
        n = null; // reset or closed: the end of this direction
      }
      if (n === null) {
        if (cut || judgeStream(faults, from, to) !== "accepted") books.finsWithheld++;
        else if (!broken) await dst!.closeWrite().catch(() => {});
        return;
      }
      books.read(ledger, from, n);
      if (!cut && judgeStream(faults, from, to) !== "accepted") cut = true;
      if (cut || broken) {
        books.dropped(ledger, from, n);
        continue;
      }
      let written = 0;
      try {
        while (written < n) {
          const w = await dst!.write(buffer.subarray(written, n));
          written += w;
          books.relayed(ledger, from, to, w);
        }
      } catch {
        // The receiving end is gone: what is left of this chunk and everything after is lost.
        books.dropped(ledger, from, n - written);
        broken = true;
      }
    }
  }
}

function tryClose(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}
