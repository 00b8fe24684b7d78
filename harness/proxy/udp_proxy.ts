/**
 * The fault-injecting UDP proxy. It owns one public port per member: that
 * port *is* the member's address for everyone else. A datagram member A
 * sends to B's public port is judged for the link A→B (`../faults/judge.ts`)
 * and, if it passes, re-sent from A's public port to B's private socket, so
 * B sees A's public address as the source. A datagram that survives is
 * delivered in `copies` copies, with bit flips if corrupted, after its
 * delay (through a delay queue; reordered datagrams skip it).
 *
 * Only datagrams from a member's private port are relayed; anything else
 * that reaches a public port is counted (`unknownSource`) and dropped. The
 * books (`books.ts`) account for every datagram exactly once.
 *
 * The harness runs it in its own process (`proxy_process.ts`); tests may
 * run it inline. Both are a {@linkcode FaultInjector}.
 *
 * With `tcp`, a {@linkcode TcpRelay} listens on the same public port numbers
 * and relays TCP under the same fault state (`tcp_relay.ts`); everything
 * TCP is in that module and the few lines marked "TCP" here.
 *
 * @module
 */

import { absNowMs } from "../os/clock.ts";
import { DeadlineQueue } from "../os/deadline_queue.ts";
import { selfUsage } from "../os/readings.ts";
import { judge } from "../faults/judge.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import type { Cut } from "../faults/partitions.ts";
import { FaultState } from "../faults/state.ts";
import { bindUdp, boundPort } from "../net/udp_transport.ts";
import { readProcUdpDrops } from "../net/ffi_udp.ts";
import { ProxyBooks, type ProxyCounters } from "./books.ts";
import type { FaultInjector } from "./injector.ts";
import type { ProcessUsage } from "../os/readings.ts";
import { SocketOwners } from "../os/socket_owner.ts";
import { TcpRelay } from "./tcp_relay.ts";

/** Options of {@linkcode UdpProxy.start}. */
export interface ProxyOptions {
  /** Each member's private port (where the proxy delivers), by member index. */
  readonly memberPorts: readonly number[];
  /** Public ports to bind, by member index; omitted or 0 means any free port. */
  readonly publicPorts?: readonly number[];
  /** Seed for every rule's random streams. */
  readonly seed: number;
  /** Bernoulli loss on every link (installed as the rule `default-loss`). @default {0} */
  readonly loss?: number;
  /** Members black-holed from the start (indices). @default {[]} */
  readonly blackholed?: readonly number[];
  /** Rules installed at start. @default {[]} */
  readonly rules?: readonly RuleSpec[];
  /** Keep per-link counters (n² arrays) up to this many members. @default {1000} */
  readonly perLinkCountersUpTo?: number;
  /**
   * Subnet and domain of every member (multi-level gossip): bytes each member
   * sends are then also counted by the level they cross, and a broadcast
   * reaches the sender's subnet only. Absent: one subnet.
   */
  readonly levels?: { readonly subnet: readonly number[]; readonly domain: readonly number[] };
  /**
   * Bind one more public port, the subnet broadcast address: a datagram sent
   * there is fanned out to every other member of the sender's subnet, each
   * copy judged like a unicast datagram on its link. @default {false}
   */
  readonly broadcast?: boolean;
  /** Port for the broadcast address; 0 or omitted means any free port. */
  readonly broadcastPort?: number;
  /**
   * Relay TCP too, on the same public port numbers (members that use TCP on
   * their port: memberlist, Serf). @default {false}
   */
  readonly tcp?: boolean;
}

interface Delayed {
  from: number;
  to: number;
  bytes: Uint8Array;
}

/** The proxy, running in the current event loop. */
export class UdpProxy implements FaultInjector {
  readonly #n: number;
  readonly #conns: Deno.DatagramConn[];
  readonly #destinations: Deno.NetAddr[];
  readonly #sourceIndex = new Map<number, number>();
  readonly #faults: FaultState;
  readonly #books: ProxyBooks;
  readonly #delayed: DeadlineQueue<Delayed>;
  #closed = false;
  readonly #loops: Promise<void>[] = [];
  readonly #subnet: Int32Array;
  readonly #domain: Int32Array;
  readonly #broadcastConn: Deno.DatagramConn | null;
  /** The broadcast address's port, or 0 when there is none. */
  readonly broadcastPort: number;
  /** Public port of each member, by index. */
  readonly publicPorts: readonly number[];
  // TCP: the relay (when on) and who owns which socket.
  #tcp: TcpRelay | null = null;
  readonly #owners = new SocketOwners();

  private constructor(
    options: ProxyOptions,
    faults: FaultState,
    conns: Deno.DatagramConn[],
    broadcastConn: Deno.DatagramConn | null,
  ) {
    const n = options.memberPorts.length;
    this.#n = n;
    this.#faults = faults;
    this.#books = new ProxyBooks(n, options.perLinkCountersUpTo ?? 1000);
    this.#delayed = new DeadlineQueue((d) => void this.#send(d.from, d.to, d.bytes));
    this.#subnet = Int32Array.from(options.levels?.subnet ?? new Array<number>(n).fill(0));
    this.#domain = Int32Array.from(options.levels?.domain ?? new Array<number>(n).fill(0));
    this.#broadcastConn = broadcastConn;
    this.broadcastPort = broadcastConn ? boundPort(broadcastConn) : 0;
    this.#conns = conns;
    this.#destinations = options.memberPorts.map((port) => ({ transport: "udp", hostname: "127.0.0.1", port }));
    options.memberPorts.forEach((port, i) => this.#sourceIndex.set(port, i));
    this.publicPorts = conns.map(boundPort);
  }

  /** Binds one public port per member and starts relaying. */
  static start(options: ProxyOptions): UdpProxy {
    const n = options.memberPorts.length;
    // Build the fault state before binding anything, so bad input fails cleanly.
    const faults = FaultState.initial(n, options.seed, options);
    if (options.levels) {
      for (const field of ["subnet", "domain"] as const) {
        const values = options.levels[field];
        if (values.length !== n || values.some((v) => !Number.isInteger(v) || v < 0)) {
          throw new RangeError(`'levels.${field}' must hold one integer >= 0 per member (${n})`);
        }
      }
    }
    const conns: Deno.DatagramConn[] = [];
    let broadcastConn: Deno.DatagramConn | null = null;
    try {
      for (let i = 0; i < n; i++) conns.push(bindUdp(options.publicPorts?.[i] ?? 0));
      if (options.broadcast) broadcastConn = bindUdp(options.broadcastPort ?? 0);
    } catch (error) {
      for (const c of conns) c.close();
      throw error;
    }
    const proxy = new UdpProxy(options, faults, conns, broadcastConn);
    // TCP: on the same port numbers, under the same fault state.
    if (options.tcp) {
      try {
        proxy.#tcp = TcpRelay.start({
          publicPorts: proxy.publicPorts,
          memberPorts: options.memberPorts,
          faults,
          identify: (clientPort, serverPort) => proxy.#owners.identify(clientPort, serverPort),
        });
      } catch (error) {
        for (const c of broadcastConn ? [...conns, broadcastConn] : conns) c.close();
        throw error;
      }
    }
    for (let j = 0; j < conns.length; j++) proxy.#loops.push(proxy.#relay(j));
    if (broadcastConn) proxy.#loops.push(proxy.#fanOut(broadcastConn));
    return proxy;
  }

  /** Applies a change to the fault state; resolves to when it took effect. */
  #change(apply: () => void): Promise<number> {
    try {
      apply();
      return Promise.resolve(absNowMs());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  setBlackhole(member: number, on: boolean): Promise<number> {
    return this.#change(() => this.#faults.setBlackhole(member, on));
  }

  setDead(member: number, dead: boolean): Promise<number> {
    return this.#change(() => this.#faults.setDead(member, dead));
  }

  setPartition(cuts: readonly Cut[]): Promise<number> {
    return this.#change(() => this.#faults.setPartition(cuts));
  }

  heal(): Promise<number> {
    return this.setPartition([]);
  }

  addRule(spec: RuleSpec): Promise<number> {
    return this.#change(() => this.#faults.addRule(spec));
  }

  removeRule(id: string): Promise<number> {
    return this.#change(() => this.#faults.removeRule(id));
  }

  healAll(): Promise<number> {
    return this.#change(() => this.#faults.healAll());
  }

  /** TCP: the process id of each member (null: none now), to tell who opened a connection. */
  setMemberPids(pids: readonly (number | null)[]): Promise<void> {
    this.#owners.setPids(pids);
    return Promise.resolve();
  }

  counters(options: { links?: boolean } = {}): Promise<ProxyCounters> {
    return Promise.resolve(this.countersNow(options));
  }

  /** {@linkcode counters}, synchronously (for the proxy process and tests). */
  countersNow(options: { links?: boolean } = {}): ProxyCounters {
    return {
      ...this.#books.snapshot(
        { delayedPending: this.#delayed.size, rules: this.#faults.ruleReports(), kernelDrops: this.#kernelDrops() },
        options.links !== false,
      ),
      tcp: this.#tcp?.counters() ?? null,
    };
  }

  /** The kernel's receive drops at each public port (from /proc/net/udp through libc), or null without FFI. */
  #kernelDrops(): number[] | null {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const drops = readProcUdpDrops(this.publicPorts);
    return this.publicPorts.map((port) => drops.get(port) ?? 0);
  }

  usage(): Promise<ProcessUsage | null> {
    return Promise.resolve(null);
  }

  /** The usage of the process the proxy runs in (for the proxy process's own reports). */
  static processUsage(): ProcessUsage {
    return selfUsage();
  }

  /** Closes every public socket, discards delayed copies and waits for the relay loops to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#books.discarded += this.#delayed.stop();
    for (const c of this.#broadcastConn ? [...this.#conns, this.#broadcastConn] : this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await Promise.all([...this.#loops, this.#tcp?.close()]);
  }

  /** Closes the proxy (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #relay(to: number): Promise<void> {
    const conn = this.#conns[to]!;
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
      const from = this.#sourceOf(addr);
      if (from === undefined) continue;
      this.#books.received(from, to, bytes.length, this.#subnet, this.#domain);
      const sending = this.#judge(from, to, bytes);
      if (sending) await sending;
    }
  }

  /** The subnet broadcast address: every other member of the sender's subnet gets a copy, judged per link. */
  async #fanOut(conn: Deno.DatagramConn): Promise<void> {
    const buffer = new Uint8Array(65536);
    const m = this.#books.member;
    while (!this.#closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      const [bytes, addr] = received;
      const from = this.#sourceOf(addr);
      if (from === undefined) continue;
      this.#books.broadcast(from, bytes.length);
      const subnet = this.#subnet[from];
      for (let to = 0; to < this.#n && !this.#closed; to++) {
        if (to === from || this.#subnet[to] !== subnet) continue;
        m.fannedOutFrom[from]!++;
        const sending = this.#judge(from, to, bytes);
        if (sending) await sending;
      }
    }
  }

  #sourceOf(addr: Deno.Addr): number | undefined {
    const source = addr as Deno.NetAddr;
    const from = source.hostname === "127.0.0.1" ? this.#sourceIndex.get(source.port) : undefined;
    if (from === undefined) this.#books.unknownSource++;
    return from;
  }

  /**
   * Judges one datagram (or broadcast copy) on the link from → to, and
   * delivers, delays or drops it. Synchronous unless it sends: the returned
   * send must finish before the caller's receive buffer is reused.
   */
  #judge(from: number, to: number, bytes: Uint8Array): Promise<void> | null {
    const books = this.#books;
    const { outcome, fate } = judge(this.#faults, from, to, bytes.length, absNowMs());
    if (outcome !== "accepted") {
      books.dropped(outcome, from, to);
      return null;
    }
    const delay = books.accepted(from, to, fate);
    if (delay === 0 && fate.flipBits.length === 0) {
      // The common path: no copy of the buffer; awaited before the next receive reuses it.
      return fate.copies === 1 ? this.#send(from, to, bytes) : this.#sendCopies(from, to, bytes, fate.copies);
    }
    const payload = bytes.slice();
    for (const bit of fate.flipBits) payload[bit >> 3]! ^= 1 << (bit & 7);
    if (delay === 0) return this.#sendCopies(from, to, payload, fate.copies);
    const at = absNowMs() + delay;
    for (let c = 0; c < fate.copies; c++) this.#delayed.push(at, { from, to, bytes: payload });
    return null;
  }

  async #sendCopies(from: number, to: number, bytes: Uint8Array, copies: number): Promise<void> {
    for (let c = 0; c < copies; c++) await this.#send(from, to, bytes);
  }

  async #send(from: number, to: number, bytes: Uint8Array): Promise<void> {
    try {
      await this.#conns[from]!.send(bytes, this.#destinations[to]!);
      this.#books.delivered(from, to, bytes.length);
    } catch {
      if (!this.#closed) this.#books.member.sendErrorsFrom[from]!++;
      else this.#books.discarded++;
    }
  }
}
