/**
 * The fault-injecting UDP proxy. It owns one public port per member: that
 * port *is* the member's address for everyone else. A datagram member A
 * sends to B's public port is judged for the link A→B and, if it passes,
 * re-sent from A's public port to B's private socket, so B sees A's public
 * address as the source.
 *
 * Judging, in order: a black hole on either end (crash by proxy), a
 * killed receiver (its socket is gone), a partition cut A→B, then the impairment rules in the order they were
 * added (`impairments/`), each with its own seeded stream per link. A
 * datagram that survives is delivered in `copies` copies, with bit flips
 * if corrupted, after its delay (through a delay queue; reordered
 * datagrams skip it).
 *
 * Every datagram received is accounted exactly once: black-holed, to a
 * killed member, partitioned, dropped by a rule, or accepted; every accepted copy is then
 * sent, failed, still queued, or discarded at close. The counts reconcile
 * with what members report sending and receiving.
 *
 * The proxy holds no reference to the members' event loop: the harness runs
 * it in its own process (see `proxy_process.ts`); tests may run it inline.
 *
 * @module
 */

import { MinHeap } from "../../lib/core/_min_heap.ts";
import { absNowMs } from "../os/clock.ts";
import { freshFate } from "../faults/impairments/impairment.ts";
import { Rule, type RuleCounters, type RuleSpec } from "../faults/impairments/rule.ts";
import type { Cut } from "../faults/partitions.ts";
import { bindUdp, boundPort } from "../net/udp_transport.ts";

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
}

/** Per-link counts, row-major `[from * n + to]`. */
export interface LinkCounters {
  /** Copies delivered to the receiver's socket. */
  readonly passed: number[];
  /** Dropped by an impairment rule. */
  readonly dropped: number[];
  /** Dropped because an end was black-holed. */
  readonly blackholed: number[];
  /** Dropped by a partition cut. */
  readonly partitioned: number[];
  /** Accepted with added delay. */
  readonly delayed: number[];
  /** Extra copies made. */
  readonly duplicated: number[];
  /** Accepted with bit flips. */
  readonly corrupted: number[];
  /** Sent ahead of the delay queue. */
  readonly reordered: number[];
}

/** What the proxy did, per member, per rule and per link. */
export interface ProxyCounters {
  /** Datagrams received from member i (i.e. sent by i), by i. */
  readonly fromMember: number[];
  /** Payload bytes received from member i. */
  readonly fromMemberBytes: number[];
  /** Datagram copies delivered to member j's socket, by j. */
  readonly toMember: number[];
  /** Payload bytes delivered to member j. */
  readonly toMemberBytes: number[];
  /** Datagrams from member i dropped by an impairment rule. */
  readonly lostFrom: number[];
  /** Datagrams from member i dropped because an end was black-holed. */
  readonly blackholedFrom: number[];
  /** Datagrams from member i dropped by a partition cut. */
  readonly partitionedFrom: number[];
  /** Datagrams from member i addressed to a killed member (its socket is gone). */
  readonly deadFrom: number[];
  /** Datagrams from member i accepted for delivery. */
  readonly acceptedFrom: number[];
  /** Extra copies (duplicates) made of member i's datagrams. */
  readonly duplicatedFrom: number[];
  /** Copies of member i's datagrams whose relay send failed. */
  readonly sendErrorsFrom: number[];
  /** Payload bytes from member i addressed to a member in another subnet of its domain. */
  readonly crossSubnetBytesFrom?: number[];
  /** Payload bytes from member i addressed to a member in another domain. */
  readonly crossDomainBytesFrom?: number[];
  /** Datagrams member i sent to the broadcast address (each counted once). */
  readonly broadcastFrom?: number[];
  /** Their payload bytes. */
  readonly broadcastBytesFrom?: number[];
  /**
   * Copies made of member i's broadcasts, one per other member of its subnet;
   * each is then judged like a datagram from i (so it appears in `lostFrom`,
   * `acceptedFrom` and the rest, but not in `fromMember`).
   */
  readonly fannedOutFrom?: number[];
  /** Copies still in the delay queue. */
  readonly queued: number;
  /** Copies discarded from the delay queue when the proxy closed. */
  readonly discarded: number;
  /** Datagrams from addresses that are no member's private port. */
  readonly unknownSource: number;
  /** Per rule: removed ones first (`active: false`), then the chain in order. */
  readonly rules: readonly {
    readonly id: string;
    readonly kind: string;
    readonly active: boolean;
    readonly counters: RuleCounters;
  }[];
  /** Per link, or null above `perLinkCountersUpTo` members. */
  readonly links: LinkCounters | null;
}

interface Queued {
  at: number;
  seq: number;
  from: number;
  to: number;
  bytes: Uint8Array;
}

const LINK_FIELDS = [
  "passed",
  "dropped",
  "blackholed",
  "partitioned",
  "delayed",
  "duplicated",
  "corrupted",
  "reordered",
] as const;

/** The proxy, running in the current event loop. */
export class UdpProxy {
  readonly #n: number;
  readonly #conns: Deno.DatagramConn[];
  readonly #destinations: Deno.NetAddr[];
  readonly #sourceIndex = new Map<number, number>();
  readonly #blackholed: Uint8Array;
  readonly #dead: Uint8Array;
  readonly #cut: Uint8Array;
  #cutCount = 0;
  #rules: Rule[] = [];
  /** Rules removed or replaced during the run, kept for their counts. */
  readonly #retired: Rule[] = [];
  readonly #seed: number;
  #closed = false;
  readonly #loops: Promise<void>[] = [];
  readonly #queue = new MinHeap<Queued>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  #queueSeq = 0;
  #queueTimer: ReturnType<typeof setTimeout> | undefined;
  #queueArmedAt = Infinity;
  #discarded = 0;
  #unknownSource = 0;
  readonly #member: Record<
    | "fromMember"
    | "fromMemberBytes"
    | "toMember"
    | "toMemberBytes"
    | "lostFrom"
    | "blackholedFrom"
    | "partitionedFrom"
    | "deadFrom"
    | "acceptedFrom"
    | "duplicatedFrom"
    | "sendErrorsFrom"
    | "crossSubnetBytesFrom"
    | "crossDomainBytesFrom"
    | "broadcastFrom"
    | "broadcastBytesFrom"
    | "fannedOutFrom",
    Float64Array
  >;
  readonly #subnet: Int32Array;
  readonly #domain: Int32Array;
  readonly #broadcastConn: Deno.DatagramConn | null;
  /** The broadcast address's port, or 0 when there is none. */
  readonly broadcastPort: number;
  readonly #links: Record<typeof LINK_FIELDS[number], Uint32Array> | null;
  /** Public port of each member, by index. */
  readonly publicPorts: readonly number[];

  private constructor(options: ProxyOptions, conns: Deno.DatagramConn[], broadcastConn: Deno.DatagramConn | null) {
    const n = options.memberPorts.length;
    this.#subnet = Int32Array.from(options.levels?.subnet ?? new Array<number>(n).fill(0));
    this.#domain = Int32Array.from(options.levels?.domain ?? new Array<number>(n).fill(0));
    this.#broadcastConn = broadcastConn;
    this.broadcastPort = broadcastConn ? boundPort(broadcastConn) : 0;
    this.#n = n;
    this.#conns = conns;
    this.#seed = options.seed;
    this.#destinations = options.memberPorts.map((port) => ({ transport: "udp", hostname: "127.0.0.1", port }));
    options.memberPorts.forEach((port, i) => this.#sourceIndex.set(port, i));
    this.#blackholed = new Uint8Array(n);
    for (const i of options.blackholed ?? []) this.#blackholed[i] = 1;
    this.#dead = new Uint8Array(n);
    this.#cut = new Uint8Array(n * n);
    const zeros = () => new Float64Array(n);
    this.#member = {
      fromMember: zeros(),
      fromMemberBytes: zeros(),
      toMember: zeros(),
      toMemberBytes: zeros(),
      lostFrom: zeros(),
      blackholedFrom: zeros(),
      partitionedFrom: zeros(),
      deadFrom: zeros(),
      acceptedFrom: zeros(),
      duplicatedFrom: zeros(),
      sendErrorsFrom: zeros(),
      crossSubnetBytesFrom: zeros(),
      crossDomainBytesFrom: zeros(),
      broadcastFrom: zeros(),
      broadcastBytesFrom: zeros(),
      fannedOutFrom: zeros(),
    };
    this.#links = n <= (options.perLinkCountersUpTo ?? 1000)
      ? Object.fromEntries(LINK_FIELDS.map((f) => [f, new Uint32Array(n * n)])) as Record<
        typeof LINK_FIELDS[number],
        Uint32Array
      >
      : null;
    this.publicPorts = conns.map(boundPort);
  }

  /** Binds one public port per member and starts relaying. */
  static start(options: ProxyOptions): UdpProxy {
    checkProbability("loss", options.loss ?? 0);
    const n = options.memberPorts.length;
    for (const i of options.blackholed ?? []) checkIndex(i, n);
    // Compile rules before binding anything, so bad input fails cleanly.
    const rules = (options.rules ?? []).map((spec) => new Rule(spec, n, options.seed));
    checkUniqueIds(rules);
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
    const proxy = new UdpProxy(options, conns, broadcastConn);
    proxy.#rules = rules;
    if ((options.loss ?? 0) > 0) proxy.setLoss(options.loss!);
    for (let j = 0; j < conns.length; j++) proxy.#loops.push(proxy.#relay(j));
    if (broadcastConn) proxy.#loops.push(proxy.#fanOut(broadcastConn));
    return proxy;
  }

  /** Black-holes (or restores) everything to and from member `index`; returns when it took effect (epoch ms). */
  setBlackhole(index: number, on: boolean): number {
    checkIndex(index, this.#n);
    this.#blackholed[index] = on ? 1 : 0;
    return absNowMs();
  }

  /**
   * Marks member `index` killed (or restarted): datagrams to it are counted
   * as addressed to a dead member instead of being sent to a closed port.
   * Returns when it took effect (epoch ms).
   */
  setDead(index: number, dead: boolean): number {
    checkIndex(index, this.#n);
    this.#dead[index] = dead ? 1 : 0;
    return absNowMs();
  }

  /** Sets the Bernoulli loss of every link (the rule `default-loss`; 0 removes it). */
  setLoss(probability: number): void {
    checkProbability("loss", probability);
    this.#rules = this.#rules.filter((r) => r.id !== "default-loss");
    if (probability > 0) {
      this.#rules.unshift(
        new Rule({ id: "default-loss", impairment: { kind: "loss", probability } }, this.#n, this.#seed),
      );
    }
  }

  /**
   * Adds an impairment rule, or replaces the rule with the same id (keeping
   * its place in the chain). Returns when it took effect (epoch ms).
   */
  addRule(spec: RuleSpec): number {
    const rule = new Rule(spec, this.#n, this.#seed);
    const at = this.#rules.findIndex((r) => r.id === spec.id);
    if (at >= 0) {
      this.#retired.push(this.#rules[at]!);
      this.#rules[at] = rule;
    } else this.#rules.push(rule);
    return absNowMs();
  }

  /** Removes a rule; throws RangeError naming an unknown id. Returns when it took effect. */
  removeRule(id: string): number {
    const rule = this.#rules.find((r) => r.id === id);
    if (!rule) throw new RangeError(`no rule '${id}' to remove`);
    this.#rules = this.#rules.filter((r) => r !== rule);
    this.#retired.push(rule);
    return absNowMs();
  }

  /** Installs a partition (replacing any other). Returns when it took effect. */
  setPartition(cuts: readonly Cut[]): number {
    this.#cut.fill(0);
    this.#cutCount = 0;
    for (const [from, to] of cuts) {
      checkIndex(from, this.#n);
      checkIndex(to, this.#n);
      if (this.#cut[from * this.#n + to] === 0) this.#cutCount++;
      this.#cut[from * this.#n + to] = 1;
    }
    return absNowMs();
  }

  /** Removes every partition cut. Returns when it took effect. */
  heal(): number {
    return this.setPartition([]);
  }

  /** Removes every fault: black holes, partitions and rules (keeping `default-loss`). Returns when it took effect. */
  healAll(): number {
    this.#blackholed.fill(0);
    this.#dead.fill(0);
    this.#retired.push(...this.#rules.filter((r) => r.id !== "default-loss"));
    this.#rules = this.#rules.filter((r) => r.id === "default-loss");
    return this.heal();
  }

  /**
   * A snapshot of every counter. Per-link arrays are n² numbers each; pass
   * `{ links: false }` when they are not needed (a run's metrics do not use them).
   */
  counters(options: { links?: boolean } = {}): ProxyCounters {
    const m = this.#member;
    return {
      fromMember: Array.from(m.fromMember),
      fromMemberBytes: Array.from(m.fromMemberBytes),
      toMember: Array.from(m.toMember),
      toMemberBytes: Array.from(m.toMemberBytes),
      lostFrom: Array.from(m.lostFrom),
      blackholedFrom: Array.from(m.blackholedFrom),
      partitionedFrom: Array.from(m.partitionedFrom),
      deadFrom: Array.from(m.deadFrom),
      acceptedFrom: Array.from(m.acceptedFrom),
      duplicatedFrom: Array.from(m.duplicatedFrom),
      sendErrorsFrom: Array.from(m.sendErrorsFrom),
      crossSubnetBytesFrom: Array.from(m.crossSubnetBytesFrom),
      crossDomainBytesFrom: Array.from(m.crossDomainBytesFrom),
      broadcastFrom: Array.from(m.broadcastFrom),
      broadcastBytesFrom: Array.from(m.broadcastBytesFrom),
      fannedOutFrom: Array.from(m.fannedOutFrom),
      queued: this.#queue.size,
      discarded: this.#discarded,
      unknownSource: this.#unknownSource,
      rules: [
        ...this.#retired.map((r) => ({ id: r.id, kind: r.kind, active: false, counters: { ...r.counters } })),
        ...this.#rules.map((r) => ({ id: r.id, kind: r.kind, active: true, counters: { ...r.counters } })),
      ],
      links: this.#links && options.links !== false
        ? Object.fromEntries(LINK_FIELDS.map((f) => [f, Array.from(this.#links![f])])) as unknown as LinkCounters
        : null,
    };
  }

  /** Closes every public socket, discards queued copies and waits for the relay loops to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#queueTimer !== undefined) clearTimeout(this.#queueTimer);
    this.#discarded += this.#queue.size;
    this.#queue.clear();
    for (const c of this.#broadcastConn ? [...this.#conns, this.#broadcastConn] : this.#conns) {
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

  async #relay(to: number): Promise<void> {
    const conn = this.#conns[to]!;
    const buffer = new Uint8Array(65536);
    const m = this.#member;
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
      m.fromMember[from]!++;
      m.fromMemberBytes[from]! += bytes.length;
      if (this.#subnet[from] !== this.#subnet[to]) {
        if (this.#domain[from] === this.#domain[to]) m.crossSubnetBytesFrom[from]! += bytes.length;
        else m.crossDomainBytesFrom[from]! += bytes.length;
      }
      const sending = this.#judge(from, to, bytes);
      if (sending) await sending;
    }
  }

  /** The subnet broadcast address: every other member of the sender's subnet gets a copy, judged per link. */
  async #fanOut(conn: Deno.DatagramConn): Promise<void> {
    const buffer = new Uint8Array(65536);
    const m = this.#member;
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
      m.broadcastFrom[from]!++;
      m.broadcastBytesFrom[from]! += bytes.length;
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
    if (from === undefined) this.#unknownSource++;
    return from;
  }

  /**
   * Judges one datagram (or broadcast copy) on the link from → to, and
   * delivers, queues or drops it. Synchronous unless it sends: the returned
   * send must finish before the caller's receive buffer is reused.
   */
  #judge(from: number, to: number, bytes: Uint8Array): Promise<void> | null {
    const n = this.#n;
    const m = this.#member;
    const links = this.#links;
    const link = from * n + to;
    if (this.#blackholed[from] === 1 || this.#blackholed[to] === 1) {
      m.blackholedFrom[from]!++;
      if (links) links.blackholed[link]!++;
      return null;
    }
    if (this.#dead[to] === 1) {
      m.deadFrom[from]!++;
      return null;
    }
    if (this.#cutCount > 0 && this.#cut[link] === 1) {
      m.partitionedFrom[from]!++;
      if (links) links.partitioned[link]!++;
      return null;
    }
    const fate = freshFate();
    if (this.#rules.length > 0) {
      const packet = { from, to, link, size: bytes.length, nowMs: absNowMs() };
      for (const rule of this.#rules) {
        if (!rule.matches(from, to)) continue;
        rule.apply(packet, fate);
        if (fate.dropped !== null) break;
      }
    }
    if (fate.dropped !== null) {
      m.lostFrom[from]!++;
      if (links) links.dropped[link]!++;
      return null;
    }
    m.acceptedFrom[from]!++;
    if (fate.copies > 1) {
      m.duplicatedFrom[from]! += fate.copies - 1;
      if (links) links.duplicated[link]! += fate.copies - 1;
    }
    if (links && fate.flipBits.length > 0) links.corrupted[link]!++;
    if (links && fate.immediate) links.reordered[link]!++;
    const delay = fate.immediate ? 0 : fate.delayMs;
    if (links && delay > 0) links.delayed[link]!++;
    if (delay === 0 && fate.flipBits.length === 0) {
      // The common path: no copy of the buffer; awaited before the next receive reuses it.
      return fate.copies === 1 ? this.#send(from, to, bytes) : this.#sendCopies(from, to, bytes, fate.copies);
    }
    const payload = bytes.slice();
    for (const bit of fate.flipBits) payload[bit >> 3]! ^= 1 << (bit & 7);
    if (delay === 0) return this.#sendCopies(from, to, payload, fate.copies);
    const at = absNowMs() + delay;
    for (let c = 0; c < fate.copies; c++) {
      this.#queue.push({ at, seq: this.#queueSeq++, from, to, bytes: payload });
      if (at < this.#queueArmedAt) this.#armQueue();
    }
    return null;
  }

  async #sendCopies(from: number, to: number, bytes: Uint8Array, copies: number): Promise<void> {
    for (let c = 0; c < copies; c++) await this.#send(from, to, bytes);
  }

  async #send(from: number, to: number, bytes: Uint8Array): Promise<void> {
    const m = this.#member;
    try {
      await this.#conns[from]!.send(bytes, this.#destinations[to]!);
      m.toMember[to]!++;
      m.toMemberBytes[to]! += bytes.length;
      if (this.#links) this.#links.passed[from * this.#n + to]!++;
    } catch {
      if (!this.#closed) m.sendErrorsFrom[from]!++;
      else this.#discarded++;
    }
  }

  #armQueue(): void {
    if (this.#queueTimer !== undefined) clearTimeout(this.#queueTimer);
    this.#queueTimer = undefined;
    this.#queueArmedAt = Infinity;
    const top = this.#queue.peek();
    if (!top || this.#closed) return;
    this.#queueArmedAt = top.at;
    this.#queueTimer = setTimeout(() => this.#flushQueue(), Math.max(0, Math.ceil(top.at - absNowMs())));
  }

  #flushQueue(): void {
    this.#queueTimer = undefined;
    this.#queueArmedAt = Infinity;
    const now = absNowMs();
    while (this.#queue.size > 0 && this.#queue.peek()!.at <= now && !this.#closed) {
      const item = this.#queue.pop()!;
      this.#send(item.from, item.to, item.bytes);
    }
    this.#armQueue();
  }
}

function checkIndex(index: number, n: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new RangeError(`'member' must be an index in [0, ${n - 1}]: current value is ${index}`);
  }
}

function checkUniqueIds(rules: readonly Rule[]): void {
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) throw new RangeError(`rule id '${r.id}' is used twice`);
    seen.add(r.id);
  }
}

function checkProbability(field: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`'${field}' must be a probability in [0, 1]: current value is ${value}`);
  }
}
