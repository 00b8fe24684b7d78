// The fuzzer of `fuzz_test.ts` (run in workers by `_fuzz_worker.ts`). Hostile datagrams (issue 11): for every detector family, a seeded stream of at least 10^6 datagrams
// (random bytes; mutations of valid datagrams: bit flips, truncation, extension, spliced headers;
// wrong kinds and counts under a valid checksum; crafted messages with hostile contents: made-up
// members, self declared dead or suspected, maximal counters and incarnations, port 0, duplicate
// entries; lists as long as the codec allows) goes through the decoder and `receive()` of a small
// group (two closed-group members, as the harness runs them, and one open-group member, the
// library default), interleaved with `tick()`s and the group's own traffic. Asserted: nothing but
// DecodeError is ever thrown, every datagram a member sends decodes and fits one datagram, no
// member holds more than its cap, a closed-group member never learns of anyone outside its group,
// and incarnations stay encodable.
//
import { assert, assertEquals } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage, LIST_KINDS, MAX_ENTRIES } from "../lib/basic/codec.ts";
import type { DisseminationStyle } from "../lib/basic/options.ts";
import type { Detector, Step } from "../lib/core/detector.ts";
import { loopbackId, type MemberId } from "../lib/core/member_id.ts";
import { type Prng, seededPrng } from "../lib/core/prng.ts";
import { DecodeError, HEADER_BYTES, MAX_DATAGRAM_BYTES, MessageKind, sealDatagram } from "../lib/core/wire.ts";
import { createNeighborDetector, type NeighborDetector } from "../lib/neighbor/detector.ts";
import { decodeNeighborMessage } from "../lib/neighbor/codec.ts";
import { createSwimDetector, type SwimDetector } from "../lib/swim/detector.ts";
import { decodeSwim } from "../lib/swim/codec.ts";
import { MAX_PIGGYBACK, SWIM_DEFAULTS } from "../lib/swim/options.ts";

/** The group: six members, of which the first three are hosted (two closed-group, one open). */
const GROUP: readonly MemberId[] = Array.from({ length: 6 }, (_, i) => loopbackId(41000 + i));
const HOSTED = 3;
const isClosed = (i: number) => i < 2;

/** Seeded draws. */
class Gen {
  constructor(readonly rng: Prng) {}
  int(n: number): number {
    return Math.floor(this.rng() * n);
  }
  chance(p: number): boolean {
    return this.rng() < p;
  }
  u32(): number {
    return Math.floor(this.rng() * 4294967296);
  }
  u16(): number {
    return Math.floor(this.rng() * 65536);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  fill(bytes: Uint8Array, from = 0): Uint8Array {
    for (let i = from; i < bytes.length; i += 4) {
      const v = this.u32();
      bytes[i] = v;
      if (i + 1 < bytes.length) bytes[i + 1] = v >>> 8;
      if (i + 2 < bytes.length) bytes[i + 2] = v >>> 16;
      if (i + 3 < bytes.length) bytes[i + 3] = v >>> 24;
    }
    return bytes;
  }
  /** A made-up member: any IPv4 address, port 1..65535. */
  madeUp(): MemberId {
    return this.u32() * 65536 + 1 + this.int(65535);
  }
  /**
   * A member id for hostile contents: a group member, the receiver itself, a made-up member, an
   * edge address, or (rarely) port 0, which names no member.
   */
  id(self: MemberId): MemberId {
    const u = this.rng();
    if (u < 0.5) return this.pick(GROUP);
    if (u < 0.65) return self;
    if (u < 0.71) return this.madeUp();
    if (u < 0.995) return this.pick(EDGE_IDS);
    return this.u32() * 65536; // port 0
  }
}

const EDGE_IDS: readonly MemberId[] = [1, 65535, 0xffffffff * 65536 + 65535, 0xffffffff * 65536 + 1, loopbackId(65535)];

function putId(view: DataView, at: number, id: MemberId): void {
  view.setUint32(at, Math.floor(id / 65536));
  view.setUint16(at + 4, id % 65536);
}

/** Seals a datagram with a valid checksum over whatever it holds (the kind and count as given). */
function seal(bytes: Uint8Array, kind: number, count: number): Uint8Array {
  return sealDatagram(bytes, kind as MessageKind, count & 0xffff);
}

/** Re-seals a datagram over its own header's kind and count (version set to 1). */
function reseal(bytes: Uint8Array): Uint8Array {
  if (bytes.length < HEADER_BYTES) return bytes;
  return seal(bytes, bytes[1]!, (bytes[2]! << 8) | bytes[3]!);
}

/** A detector family under test. */
interface Family {
  readonly name: string;
  make(self: MemberId, rng: Prng, closed: boolean): Detector;
  /** A well-formed-looking datagram of the family's kinds with hostile contents, for `d`. */
  craft(g: Gen, d: Detector): Uint8Array;
  /** A list as long as the codec allows (or one entry more), of made-up members. */
  oversized(g: Gen): Uint8Array;
  /** Decodes one of the family's own datagrams (throws if it is malformed); returns its entry count. */
  decode(bytes: Uint8Array): number;
  /** Most entries one of its own datagrams may carry. */
  readonly maxEntries: number;
  /** Entries the member holds (self included) given its `joined` events so far, or undefined when it cannot say. */
  held(d: Detector, joined: number): number;
  /** The most it may hold (self included). */
  readonly cap: number;
  /** Whether members are dropped (and a group member may then be admitted again, with a `joined`). */
  readonly forgets: boolean;
  /** Family invariants on the state (incarnations encodable). */
  check(d: Detector): void;
}

// ---- the basic detector and phi: lists of (member, 16-bit counter) ----

const COUNTER_EDGES = [0, 1, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff];

function basicFamily(name: string, style: DisseminationStyle, phi: boolean): Family {
  return {
    name,
    make: (self, rng, closed) =>
      createBasicGossipDetector({
        self,
        members: GROUP,
        tGossipMs: 1000,
        // Short timings: made-up members an open member admits are dropped again within seconds.
        tFailMs: phi ? 8000 : 4000,
        tCleanupMs: phi ? 16_000 : 8000,
        rng,
        startMs: 0,
        style,
        ...(phi ? { phi: { threshold: 8 } } : {}),
        closedGroup: closed,
      }),
    craft(g, d) {
      const basic = d as ReturnType<typeof createBasicGossipDetector>;
      const kind = g.chance(0.93) ? g.pick(LIST_KINDS) : g.int(20);
      let count = kind === MessageKind.PullRequest && g.chance(0.8) ? 0 : g.chance(0.95) ? g.int(10) : g.int(120);
      const extra = kind === MessageKind.DigestAck ? 2 : 0;
      let body = extra + 8 * count;
      if (g.chance(0.03)) body = Math.max(0, body + g.int(5) - 2);
      const bytes = new Uint8Array(HEADER_BYTES + body);
      const view = new DataView(bytes.buffer);
      if (extra && body >= 2) view.setUint16(HEADER_BYTES, g.chance(0.9) ? g.int(count + 1) : count + 1 + g.int(4));
      const ids: MemberId[] = [];
      for (let i = 0, at = HEADER_BYTES + extra; i < count && at + 8 <= bytes.length; i++, at += 8) {
        const id = ids.length > 0 && g.chance(0.03) ? g.pick(ids) : g.id(d.id);
        ids.push(id);
        putId(view, at, id);
        const held = basic.counterOf(id);
        const c = held !== undefined && g.chance(0.5)
          ? held + g.pick([0, 1, 2, 100, 0x7fff, 0x8000, 0x8001, 0xffff])
          : g.chance(0.5)
          ? g.pick(COUNTER_EDGES)
          : g.u16();
        view.setUint16(at + 6, c & 0xffff);
      }
      if (g.chance(0.03)) count += g.chance(0.5) ? 1 : -1;
      return seal(bytes, kind, count);
    },
    oversized(g) {
      const count = g.chance(0.1) ? MAX_ENTRIES + 1 : MAX_ENTRIES - g.int(3);
      const kind = g.pick([
        MessageKind.HeartbeatList,
        MessageKind.PushPull,
        MessageKind.Broadcast,
        MessageKind.DigestSyn,
        MessageKind.DigestAck,
      ]);
      const extra = kind === MessageKind.DigestAck ? 2 : 0;
      const bytes = new Uint8Array(HEADER_BYTES + extra + 8 * count);
      const view = new DataView(bytes.buffer);
      if (extra) view.setUint16(HEADER_BYTES, g.int(count + 1));
      for (let i = 0, at = HEADER_BYTES + extra; i < count; i++, at += 8) {
        putId(view, at, g.madeUp());
        view.setUint16(at + 6, g.u16());
      }
      return seal(bytes, kind, count);
    },
    decode: (bytes) => decodeMessage(bytes).members.length,
    maxEntries: MAX_ENTRIES,
    held: (d) => (d as ReturnType<typeof createBasicGossipDetector>).knownMembers().length + 1,
    cap: MAX_ENTRIES,
    forgets: true,
    check: () => {},
  };
}

// ---- SWIM: (member, incarnation, status) updates ----

const INCARNATION_EDGES = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const SWIM_KINDS = [MessageKind.SwimPing, MessageKind.SwimAck, MessageKind.SwimPingReq, MessageKind.SwimGossip];

function swimFamily(name: string, extra: Record<string, unknown>): Family {
  return {
    name,
    make: (self, rng, closed) =>
      createSwimDetector({
        self,
        members: GROUP,
        protocolPeriodMs: 1000,
        rng,
        startMs: 0,
        ...extra,
        closedGroup: closed,
      }),
    craft(g, d) {
      const kind = g.chance(0.93) ? g.pick(SWIM_KINDS) : g.int(20);
      let count = g.chance(0.95) ? g.int(10) : g.int(120);
      let size = HEADER_BYTES + 10 + 11 * count;
      if (g.chance(0.03)) size = Math.max(HEADER_BYTES, size + g.int(5) - 2);
      const bytes = new Uint8Array(size);
      const view = new DataView(bytes.buffer);
      if (size >= HEADER_BYTES + 10) {
        // Sequence numbers: small ones match probes in flight now and then.
        view.setUint32(8, g.chance(0.6) ? g.int(64) : g.u32());
        const target = kind === MessageKind.SwimPingReq || g.chance(0.1) ? g.id(d.id) : 0;
        putId(view, 12, target);
      }
      for (let i = 0, at = HEADER_BYTES + 10; i < count && at + 11 <= size; i++, at += 11) {
        putId(view, at, g.id(d.id));
        view.setUint32(at + 6, g.chance(0.6) ? g.pick(INCARNATION_EDGES) : g.u32());
        bytes[at + 10] = g.chance(0.97) ? g.int(3) : 3 + g.int(253);
      }
      if (g.chance(0.03)) count += g.chance(0.5) ? 1 : -1;
      return seal(bytes, kind, count);
    },
    oversized(g) {
      const count = g.chance(0.1) ? MAX_PIGGYBACK + 1 : MAX_PIGGYBACK - g.int(3);
      const bytes = new Uint8Array(HEADER_BYTES + 10 + 11 * count);
      const view = new DataView(bytes.buffer);
      for (let i = 0, at = HEADER_BYTES + 10; i < count; i++, at += 11) {
        putId(view, at, g.madeUp());
        view.setUint32(at + 6, g.u32());
        bytes[at + 10] = g.int(2); // alive or suspect: both admit a new member
      }
      return seal(bytes, g.pick(SWIM_KINDS.filter((k) => k !== MessageKind.SwimPingReq)), count);
    },
    decode: (bytes) => decodeSwim(bytes).updates.length,
    maxEntries: (extra.maxPiggyback as number | undefined) ?? SWIM_DEFAULTS.maxPiggyback,
    // Members are never dropped: the table is the initial group plus every `joined`.
    held: (_d, joined) => GROUP.length + joined,
    cap: MAX_PIGGYBACK,
    forgets: false,
    check(d) {
      const inc = (d as SwimDetector).incarnation;
      assert(Number.isInteger(inc) && inc >= 0 && inc <= 0xffffffff, `incarnation ${inc} does not fit the wire`);
    },
  };
}

// ---- the neighbour detector: (member, incarnation * 2 + dead) entries ----

const NEIGHBOR_KINDS = [
  MessageKind.NeighborPing,
  MessageKind.NeighborAck,
  MessageKind.NeighborAccuse,
  MessageKind.NeighborNotice,
  MessageKind.NeighborMembership,
];
const STATE_EDGES = [0, 1, 2, 3, 0xfffc, 0xfffd, 0xfffe, 0xffff];

const neighborFamily: Family = {
  name: "neighbor",
  make: (self, rng, closed) => createNeighborDetector({ self, members: GROUP, rng, startMs: 0, closedGroup: closed }),
  craft(g, d) {
    const kind = g.chance(0.93) ? g.pick(NEIGHBOR_KINDS) : g.int(20);
    const bare = kind === MessageKind.NeighborPing || kind === MessageKind.NeighborAck;
    let count = bare && g.chance(0.9) ? 0 : g.chance(0.95) ? g.int(10) : g.int(120);
    let size = HEADER_BYTES + 8 * count;
    if (g.chance(0.03)) size = Math.max(HEADER_BYTES, size + g.int(5) - 2);
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    for (let i = 0, at = HEADER_BYTES; i < count && at + 8 <= size; i++, at += 8) {
      putId(view, at, g.id(d.id));
      view.setUint16(at + 6, g.chance(0.6) ? g.pick(STATE_EDGES) : g.chance(0.5) ? g.int(16) : g.u16());
    }
    if (g.chance(0.03)) count += g.chance(0.5) ? 1 : -1;
    return seal(bytes, kind, count);
  },
  oversized(g) {
    const count = g.chance(0.1) ? MAX_ENTRIES + 1 : MAX_ENTRIES - g.int(3);
    const bytes = new Uint8Array(HEADER_BYTES + 8 * count);
    const view = new DataView(bytes.buffer);
    for (let i = 0, at = HEADER_BYTES; i < count; i++, at += 8) {
      putId(view, at, g.madeUp());
      view.setUint16(at + 6, g.u16());
    }
    return seal(bytes, g.pick([MessageKind.NeighborNotice, MessageKind.NeighborMembership]), count);
  },
  decode: (bytes) => decodeNeighborMessage(bytes).ids.length,
  maxEntries: MAX_ENTRIES,
  // Members are never dropped: the table is the initial group plus every `joined`.
  held: (_d, joined) => GROUP.length + joined,
  cap: MAX_ENTRIES,
  forgets: false,
  check(d) {
    const inc = (d as NeighborDetector).incarnation;
    assert(Number.isInteger(inc) && inc >= 0 && inc <= 0x7fff, `incarnation ${inc} does not fit the 16-bit state`);
  },
};

export const FAMILIES: readonly Family[] = [
  basicFamily("basic push", "push", false),
  basicFamily("basic pull", "pull", false),
  basicFamily("basic push-pull", "push-pull", false),
  basicFamily("basic digest", "digest", false),
  basicFamily("phi accrual", "push", true),
  swimFamily("swim", {}),
  swimFamily("swim + lifeguard + separate gossip", { lifeguard: true, gossipIntervalMs: 200 }),
  neighborFamily,
];

// ---- the driver ----

export interface Tally {
  datagrams: number;
  rejected: number;
  accepted: number;
  oversized: number;
  ticks: number;
  sends: number;
  maxHeld: number;
}

/** A small ring of valid datagrams (the group's own and crafted ones) to mutate. */
class Pool {
  readonly #items: Uint8Array[] = [];
  #next = 0;
  add(bytes: Uint8Array): void {
    if (bytes.length > 1024) return; // mutating long lists adds time, not coverage
    if (this.#items.length < 256) this.#items.push(bytes);
    else this.#items[this.#next++ & 255] = bytes;
  }
  take(g: Gen): Uint8Array | undefined {
    return this.#items.length === 0 ? undefined : g.pick(this.#items);
  }
}

function mutate(g: Gen, original: Uint8Array, other: Uint8Array | undefined): Uint8Array {
  let b = original.slice();
  switch (g.int(7)) {
    case 0: // bit flips, checksum left as it was
      for (let k = 1 + g.int(4); k > 0; k--) b[g.int(b.length)]! ^= 1 << g.int(8);
      return b;
    case 1: // bit flips under a recomputed checksum
      for (let k = 1 + g.int(4); k > 0; k--) b[g.int(b.length)]! ^= 1 << g.int(8);
      return reseal(b);
    case 2: // truncation
      b = b.slice(0, g.int(b.length));
      return g.chance(0.5) ? reseal(b) : b;
    case 3: { // extension
      const longer = new Uint8Array(b.length + 1 + g.int(24));
      longer.set(b);
      g.fill(longer, b.length);
      return g.chance(0.5) ? reseal(longer) : longer;
    }
    case 4: // a wrong count under a valid checksum
      if (b.length < HEADER_BYTES) return b;
      return seal(b, b[1]!, g.chance(0.5) ? ((b[2]! << 8) | b[3]!) + g.pick([-1, 1, 2, 100]) : g.u16());
    case 5: // a wrong kind under a valid checksum
      if (b.length < HEADER_BYTES) return b;
      return seal(b, g.int(20), (b[2]! << 8) | b[3]!);
    default: { // one datagram's header on another's body
      if (!other || b.length < HEADER_BYTES || other.length < HEADER_BYTES) return b;
      const spliced = other.slice();
      spliced.set(b.subarray(0, HEADER_BYTES));
      return reseal(spliced);
    }
  }
}

/** One hostile datagram for member `d`. */
function hostile(g: Gen, f: Family, d: Detector, pool: Pool, tally: Tally): Uint8Array {
  const u = g.rng();
  if (u < 0.00004) {
    tally.oversized++;
    return f.oversized(g);
  }
  if (u < 0.1) {
    // Random bytes: short mostly, half of them with a valid version byte and a known kind.
    const b = g.fill(new Uint8Array(g.chance(0.9) ? g.int(64) : g.int(1500)));
    if (b.length >= 2 && g.chance(0.5)) {
      b[0] = 1;
      b[1] = 1 + g.int(15);
    }
    return b;
  }
  if (u < 0.2) {
    // Wrong kinds and counts under a valid checksum: any kind, any count, any body.
    const b = g.fill(new Uint8Array(HEADER_BYTES + (g.chance(0.8) ? g.int(64) : g.int(600))));
    return seal(b, g.chance(0.8) ? g.int(20) : g.int(256), g.chance(0.7) ? g.int(16) : g.u16());
  }
  if (u < 0.5) {
    const original = pool.take(g);
    if (original) return mutate(g, original, pool.take(g));
  }
  const crafted = f.craft(g, d);
  pool.add(crafted);
  return crafted;
}

function fuzz(f: Family, datagrams: number, seed: number): Tally {
  const g = new Gen(seededPrng(seed));
  const members = GROUP.slice(0, HOSTED).map((id, i) => f.make(id, seededPrng(seed + 1 + i), isClosed(i)));
  const inGroup = new Set(GROUP);
  const joined = new Array<number>(HOSTED).fill(0);
  const pool = new Pool();
  const tally: Tally = { datagrams: 0, rejected: 0, accepted: 0, oversized: 0, ticks: 0, sends: 0, maxHeld: 0 };
  /** The group's own datagrams in flight between hosted members. */
  let inFlight: { from: MemberId; to: number; bytes: Uint8Array }[] = [];
  let now = 0;

  const fail = (what: string, i: number, error: unknown, bytes?: Uint8Array): never => {
    const hex = bytes ? [...bytes.subarray(0, 64)].map((b) => b.toString(16).padStart(2, "0")).join("") : "";
    throw new Error(
      `${f.name}: member ${i} (${isClosed(i) ? "closed" : "open"}) ${what} at datagram ${tally.datagrams}, t ${now}: ${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }${bytes ? ` (datagram of ${bytes.length} bytes, first 64: ${hex})` : ""}`,
      { cause: error },
    );
  };

  const handle = (i: number, step: Step) => {
    for (const e of step.events) {
      if (e.kind === "joined") joined[i]!++;
      if (isClosed(i) && !inGroup.has(e.member)) fail(`reported '${e.kind}' about a non-member ${e.member}`, i, null);
    }
    for (const send of step.sends) {
      tally.sends++;
      if (send.bytes.length > MAX_DATAGRAM_BYTES) fail(`sent ${send.bytes.length} bytes`, i, null);
      let entries: number;
      try {
        entries = f.decode(send.bytes);
      } catch (error) {
        return fail("sent a datagram that does not decode", i, error, send.bytes);
      }
      if (entries > f.maxEntries) fail(`sent ${entries} entries (at most ${f.maxEntries})`, i, null);
      pool.add(send.bytes);
      const to = GROUP.indexOf(send.to);
      if (to >= 0 && to < HOSTED && inFlight.length < 64) {
        inFlight.push({ from: members[i]!.id, to, bytes: send.bytes });
      }
    }
  };

  const tickDue = () => {
    for (let i = 0; i < HOSTED; i++) {
      const d = members[i]!;
      let next: number | undefined;
      try {
        next = d.nextDeadlineMs();
        if (next !== undefined && !(next >= 0)) fail(`gave the deadline ${next}`, i, null);
        if (next !== undefined && next <= now) {
          tally.ticks++;
          handle(i, d.tick(now));
        }
      } catch (error) {
        fail("threw from tick() or nextDeadlineMs()", i, error);
      }
    }
  };

  const checkState = () => {
    for (let i = 0; i < HOSTED; i++) {
      const d = members[i]!;
      const held = f.held(d, joined[i]!);
      tally.maxHeld = Math.max(tally.maxHeld, held);
      if (held > f.cap) fail(`holds ${held} entries (cap ${f.cap})`, i, null);
      // (Events about non-members are caught as they happen, in `handle`.)
      if (isClosed(i) && !f.forgets) assertEquals(joined[i], 0, `${f.name}: closed member ${i} admitted someone`);
      f.check(d);
    }
  };

  for (let k = 0; k < datagrams; k++) {
    // Virtual time: 4 ms a datagram on average, so a run spans hundreds of periods and T_cleanups.
    now += g.rng() * 8;
    tickDue();
    // The group's own traffic goes first: it keeps probes acked and lists fresh.
    if (inFlight.length > 0) {
      const batch = inFlight;
      inFlight = [];
      for (const m of batch) {
        try {
          handle(m.to, members[m.to]!.receive(m.from, m.bytes, now));
        } catch (error) {
          fail("threw on the group's own datagram", m.to, error, m.bytes);
        }
      }
    }
    const i = g.int(HOSTED);
    const d = members[i]!;
    const bytes = hostile(g, f, d, pool, tally);
    // Senders: mostly group members (the proxy's addresses), sometimes itself, sometimes anyone.
    const u = g.rng();
    const from = u < 0.7 ? g.pick(GROUP) : u < 0.8 ? d.id : g.madeUp();
    tally.datagrams++;
    let step: Step;
    try {
      step = d.receive(from, bytes, now);
    } catch (error) {
      if (error instanceof DecodeError) {
        tally.rejected++;
        continue;
      }
      return fail("threw a non-DecodeError from receive()", i, error, bytes);
    }
    tally.accepted++;
    handle(i, step);
    if ((k & 1023) === 0 || bytes.length > 16384) checkState();
  }
  // Afterwards: a few more periods of ticks, every send still encodes and decodes.
  const end = now + 5000;
  while (now < end) {
    now += 10;
    tickDue();
    inFlight = [];
  }
  checkState();
  return tally;
}

/** Runs family `index` of {@linkcode FAMILIES} over `datagrams` datagrams; returns its tally and the time taken. */
export function runFamily(index: number, datagrams: number): { tally: Tally; ms: number } {
  const started = performance.now();
  // Rejections throw: without stack traces they cost a third less, and the failure message carries the details.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const tally = fuzz(FAMILIES[index]!, datagrams, 0x5eed + 1000 * index);
    return { tally, ms: performance.now() - started };
  } finally {
    Error.stackTraceLimit = limit;
  }
}
