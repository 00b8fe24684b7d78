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
import { readProcUdpDrops } from "../net/proc_udp.ts";
import { defaultRelaySockets, openRelaySockets, type RelaySocketKind, type RelaySockets } from "./_relay_sockets.ts";
export type { RelaySocketKind } from "./_relay_sockets.ts";
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
  /**
   * Which sockets to relay through: `ffi` (libc sockets in one set, batched
   * syscalls; needs `--allow-ffi`) or `deno` (`Deno.DatagramConn`).
   * @default {"ffi" when FFI is allowed on x86_64 Linux, else "deno"}
   */
  readonly sockets?: RelaySocketKind;
  /**
   * FFI only: run the sockets as this thread's reactor (wait for datagrams
   * and the delay queue's deadlines in `epoll_pwait2` on this thread,
   * yielding to the event loop every 10 ms). For a process that only
   * relays (the proxy process); a thread with other timers should not.
   * @default {false}
   */
  readonly reactor?: boolean;
}

interface Delayed {
  from: number;
  to: number;
  bytes: Uint8Array;
}

/** The proxy, running in the current event loop. */
export class UdpProxy implements FaultInjector {
  readonly #n: number;
  readonly #sockets: RelaySockets;
  /** Each member's private port, by index. */
  readonly #memberPorts: Int32Array;
  /** Member index of each private port (-1: not a member's). */
  readonly #indexOfPort = new Int32Array(65536).fill(-1);
  readonly #faults: FaultState;
  readonly #books: ProxyBooks;
  readonly #delayed: DeadlineQueue<Delayed>;
  #closed = false;
  readonly #subnet: Int32Array;
  readonly #domain: Int32Array;
  /** The broadcast socket's number (after the members'), or -1. */
  readonly #broadcastSocket: number;
  /** The broadcast address's port, or 0 when there is none. */
  readonly broadcastPort: number;
  /** Public port of each member, by index. */
  readonly publicPorts: readonly number[];
  /** Which sockets it relays through. */
  readonly sockets: RelaySocketKind;
  // TCP: the relay (when on) and who owns which socket.
  #tcp: TcpRelay | null = null;
  readonly #owners = new SocketOwners();

  private constructor(options: ProxyOptions, faults: FaultState) {
    const n = options.memberPorts.length;
    this.#n = n;
    this.#faults = faults;
    this.#books = new ProxyBooks(n, options.perLinkCountersUpTo ?? 1000);
    const kind = this.sockets = options.sockets ?? defaultRelaySockets();
    const reactor = kind === "ffi" && options.reactor === true;
    this.#delayed = new DeadlineQueue((d) => this.#send(d.from, d.to, d.bytes), { manual: reactor });
    this.#subnet = Int32Array.from(options.levels?.subnet ?? new Array<number>(n).fill(0));
    this.#domain = Int32Array.from(options.levels?.domain ?? new Array<number>(n).fill(0));
    this.#memberPorts = Int32Array.from(options.memberPorts);
    options.memberPorts.forEach((port, i) => this.#indexOfPort[port] = i);
    const ports = Array.from({ length: n }, (_, i) => options.publicPorts?.[i] ?? 0);
    if (options.broadcast) ports.push(options.broadcastPort ?? 0);
    const delayed = this.#delayed;
    this.#sockets = openRelaySockets(ports, {
      kind,
      onRefused: (from, toPort, bytes) => this.#refused(from, toPort, bytes),
      ...(reactor ? { reactor: { nextDeadline: () => delayed.nextAt(), runDue: () => delayed.runDue() } } : {}),
    });
    this.#broadcastSocket = options.broadcast ? n : -1;
    this.publicPorts = this.#sockets.ports.slice(0, n);
    this.broadcastPort = options.broadcast ? this.#sockets.ports[n]! : 0;
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
    const bad = options.memberPorts.find((p) => !Number.isInteger(p) || p < 1 || p > 0xffff);
    if (bad !== undefined) throw new RangeError(`'memberPorts' must hold ports in [1, 65535]: current value is ${bad}`);
    const proxy = new UdpProxy(options, faults);
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
        void proxy.#sockets.close();
        throw error;
      }
    }
    proxy.#sockets.start((socket, fromPort, bytes) => proxy.#receive(socket, fromPort, bytes));
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

  /** Closes every public socket (queued sends go out first), discards delayed copies. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#books.discarded += this.#delayed.stop();
    await Promise.all([this.#sockets.close(), this.#tcp?.close()]);
  }

  /** Closes the proxy (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** One datagram at public socket `socket` (a member's public port, or the broadcast address). */
  #receive(socket: number, fromPort: number, bytes: Uint8Array): void {
    if (this.#closed) return;
    const from = this.#indexOfPort[fromPort]!;
    if (from < 0) {
      this.#books.unknownSource++;
      return;
    }
    if (socket !== this.#broadcastSocket) {
      this.#books.received(from, socket, bytes.length, this.#subnet, this.#domain);
      this.#judge(from, socket, bytes);
      return;
    }
    // The subnet broadcast address: every other member of the sender's subnet gets a copy, judged per link.
    this.#books.broadcast(from, bytes.length);
    const fannedOut = this.#books.member.fannedOutFrom;
    const subnet = this.#subnet[from];
    for (let to = 0; to < this.#n; to++) {
      if (to === from || this.#subnet[to] !== subnet) continue;
      fannedOut[from]!++;
      this.#judge(from, to, bytes);
    }
  }

  /**
   * Judges one datagram (or broadcast copy) on the link from → to, and
   * delivers, delays or drops it. Sends copy the payload, so `bytes` may be
   * reused as soon as this returns.
   */
  #judge(from: number, to: number, bytes: Uint8Array): void {
    const books = this.#books;
    const { outcome, fate } = judge(this.#faults, from, to, bytes.length, absNowMs());
    if (outcome !== "accepted") {
      books.dropped(outcome, from, to);
      return;
    }
    const delay = books.accepted(from, to, fate);
    let payload = bytes;
    if (fate.flipBits.length > 0) {
      payload = bytes.slice();
      for (const bit of fate.flipBits) payload[bit >> 3]! ^= 1 << (bit & 7);
    }
    if (delay === 0) {
      for (let c = 0; c < fate.copies; c++) this.#send(from, to, payload);
      return;
    }
    if (payload === bytes) payload = bytes.slice();
    const at = absNowMs() + delay;
    for (let c = 0; c < fate.copies; c++) this.#delayed.push(at, { from, to, bytes: payload });
  }

  /** Sends one copy from `from`'s public socket to `to`'s private one, counted delivered unless refused later. */
  #send(from: number, to: number, bytes: Uint8Array): void {
    if (this.#closed) {
      this.#books.discarded++;
      return;
    }
    this.#books.delivered(from, to, bytes.length);
    this.#sockets.send(from, this.#memberPorts[to]!, bytes);
  }

  /** A copy the kernel refused: it was counted delivered, it is a send error instead. */
  #refused(from: number, toPort: number, bytes: number): void {
    const to = this.#indexOfPort[toPort]!;
    if (to >= 0) this.#books.refused(from, to, bytes);
  }
}
