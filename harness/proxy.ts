/**
 * The fault-injecting UDP proxy. It owns one public port per member: that
 * port *is* the member's address for everyone else. A datagram member A
 * sends to B's public port is judged for the link A→B (black hole, loss)
 * and, if it passes, re-sent from A's public port to B's private socket, so
 * B sees A's public address as the source.
 *
 * Every decision is counted per member and per link; the counts reconcile
 * with what members report sending and receiving. Loss decisions draw from
 * a seeded stream per sending member, so a run replays the same decisions
 * for the same traffic.
 *
 * The proxy holds no reference to the members' event loop: the harness runs
 * it in its own process (see `proxy_process.ts`); tests may run it inline.
 *
 * @module
 */

import { deriveSeed, type Prng, seededPrng } from "../lib/prng.ts";
import { absNowMs } from "./clock.ts";
import { bindUdp, boundPort } from "./udp_transport.ts";

/** Options of {@linkcode UdpProxy.start}. */
export interface ProxyOptions {
  /** Each member's private port (where the proxy delivers), by member index. */
  readonly memberPorts: readonly number[];
  /** Public ports to bind, by member index; omitted or 0 means any free port. */
  readonly publicPorts?: readonly number[];
  /** Seed for the loss decisions. */
  readonly seed: number;
  /** Bernoulli loss probability applied to every link. @default {0} */
  readonly loss?: number;
  /** Members black-holed from the start (indices). @default {[]} */
  readonly blackholed?: readonly number[];
}

/** What the proxy did, per member and per link. */
export interface ProxyCounters {
  /** Datagrams received from member i (i.e. sent by i), by i. */
  readonly fromMember: number[];
  /** Payload bytes received from member i. */
  readonly fromMemberBytes: number[];
  /** Datagrams relayed to member j, by j. */
  readonly toMember: number[];
  /** Payload bytes relayed to member j. */
  readonly toMemberBytes: number[];
  /** Datagrams from member i dropped by the loss impairment. */
  readonly lostFrom: number[];
  /** Datagrams from member i dropped because an end was black-holed. */
  readonly blackholedFrom: number[];
  /** Datagrams from member i whose relay send failed. */
  readonly sendErrorsFrom: number[];
  /** Datagrams from addresses that are no member's private port. */
  readonly unknownSource: number;
  /** Per-link counts, row-major `[from * n + to]`. */
  readonly links: {
    readonly passed: number[];
    readonly lost: number[];
    readonly blackholed: number[];
  };
}

/** The proxy, running in the current event loop. */
export class UdpProxy {
  readonly #n: number;
  readonly #conns: Deno.DatagramConn[];
  readonly #memberPorts: readonly number[];
  readonly #sourceIndex = new Map<number, number>();
  readonly #blackholed: Uint8Array;
  readonly #rngs: Prng[];
  #loss: number;
  #closed = false;
  readonly #loops: Promise<void>[] = [];
  // counters
  readonly #fromMember: Float64Array;
  readonly #fromMemberBytes: Float64Array;
  readonly #toMember: Float64Array;
  readonly #toMemberBytes: Float64Array;
  readonly #lostFrom: Float64Array;
  readonly #blackholedFrom: Float64Array;
  readonly #sendErrorsFrom: Float64Array;
  #unknownSource = 0;
  readonly #linkPassed: Uint32Array;
  readonly #linkLost: Uint32Array;
  readonly #linkBlackholed: Uint32Array;
  /** Public port of each member, by index. */
  readonly publicPorts: readonly number[];

  private constructor(options: ProxyOptions, conns: Deno.DatagramConn[]) {
    const n = options.memberPorts.length;
    this.#n = n;
    this.#conns = conns;
    this.#memberPorts = options.memberPorts;
    options.memberPorts.forEach((port, i) => this.#sourceIndex.set(port, i));
    this.#blackholed = new Uint8Array(n);
    for (const i of options.blackholed ?? []) this.#blackholed[i] = 1;
    this.#rngs = options.memberPorts.map((_, i) => seededPrng(deriveSeed(options.seed, "proxy-loss", i)));
    this.#loss = options.loss ?? 0;
    this.#fromMember = new Float64Array(n);
    this.#fromMemberBytes = new Float64Array(n);
    this.#toMember = new Float64Array(n);
    this.#toMemberBytes = new Float64Array(n);
    this.#lostFrom = new Float64Array(n);
    this.#blackholedFrom = new Float64Array(n);
    this.#sendErrorsFrom = new Float64Array(n);
    this.#linkPassed = new Uint32Array(n * n);
    this.#linkLost = new Uint32Array(n * n);
    this.#linkBlackholed = new Uint32Array(n * n);
    this.publicPorts = conns.map(boundPort);
  }

  /** Binds one public port per member and starts relaying. */
  static start(options: ProxyOptions): UdpProxy {
    checkProbability("loss", options.loss ?? 0);
    const conns: Deno.DatagramConn[] = [];
    try {
      for (let i = 0; i < options.memberPorts.length; i++) {
        conns.push(bindUdp(options.publicPorts?.[i] ?? 0));
      }
    } catch (error) {
      for (const c of conns) c.close();
      throw error;
    }
    const proxy = new UdpProxy(options, conns);
    for (let j = 0; j < conns.length; j++) proxy.#loops.push(proxy.#relay(j));
    return proxy;
  }

  /**
   * Black-holes (or restores) everything to and from member `index`.
   * Returns the instant (epoch ms) the rule took effect.
   */
  setBlackhole(index: number, on: boolean): number {
    this.#checkIndex(index);
    this.#blackholed[index] = on ? 1 : 0;
    return absNowMs();
  }

  /** Sets the Bernoulli loss probability of every link. */
  setLoss(probability: number): void {
    checkProbability("loss", probability);
    this.#loss = probability;
  }

  /** A snapshot of every counter. */
  counters(): ProxyCounters {
    return {
      fromMember: Array.from(this.#fromMember),
      fromMemberBytes: Array.from(this.#fromMemberBytes),
      toMember: Array.from(this.#toMember),
      toMemberBytes: Array.from(this.#toMemberBytes),
      lostFrom: Array.from(this.#lostFrom),
      blackholedFrom: Array.from(this.#blackholedFrom),
      sendErrorsFrom: Array.from(this.#sendErrorsFrom),
      unknownSource: this.#unknownSource,
      links: {
        passed: Array.from(this.#linkPassed),
        lost: Array.from(this.#linkLost),
        blackholed: Array.from(this.#linkBlackholed),
      },
    };
  }

  /** Closes every public socket and waits for the relay loops to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#loops);
  }

  /** Closes the proxy (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#n) {
      throw new RangeError(
        `'member' must be an index in [0, ${this.#n - 1}]: current value is ${index}`,
      );
    }
  }

  async #relay(to: number): Promise<void> {
    const conn = this.#conns[to]!;
    const buffer = new Uint8Array(65536);
    const destination: Deno.NetAddr = {
      transport: "udp",
      hostname: "127.0.0.1",
      port: this.#memberPorts[to]!,
    };
    const n = this.#n;
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
      const from = source.hostname === "127.0.0.1" ? this.#sourceIndex.get(source.port) : undefined;
      if (from === undefined) {
        this.#unknownSource++;
        continue;
      }
      this.#fromMember[from]!++;
      this.#fromMemberBytes[from]! += bytes.length;
      const link = from * n + to;
      if (this.#blackholed[from] === 1 || this.#blackholed[to] === 1) {
        this.#blackholedFrom[from]!++;
        this.#linkBlackholed[link]!++;
        continue;
      }
      if (this.#loss > 0 && this.#rngs[from]!() < this.#loss) {
        this.#lostFrom[from]!++;
        this.#linkLost[link]!++;
        continue;
      }
      try {
        // Awaited before the next receive reuses the buffer.
        await this.#conns[from]!.send(bytes, destination);
        this.#toMember[to]!++;
        this.#toMemberBytes[to]! += bytes.length;
        this.#linkPassed[link]!++;
      } catch {
        if (this.#closed) return;
        this.#sendErrorsFrom[from]!++;
      }
    }
  }
}

function checkProbability(field: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(
      `'${field}' must be a probability in [0, 1]: current value is ${value}`,
    );
  }
}
