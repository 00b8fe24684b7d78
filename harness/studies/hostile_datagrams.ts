/**
 * Seeded hostile datagrams for `hostile.ts`: what someone outside the
 * proxy could throw at a run's sockets. Every detector family's message
 * kinds, under a valid checksum, with made-up members, members' own
 * addresses declared dead at the largest counters and incarnations, port 0
 * and duplicate entries; lists as long as the codecs allow (the 65,496-byte
 * heartbeat list of 8,186 made-up members of issue 11 among them); random
 * bytes; wrong kinds and counts under a valid checksum; and bit flips,
 * truncations and extensions of all of these.
 *
 * @module
 */

import { MAX_ENTRIES } from "../../lib/basic/codec.ts";
import type { MemberId } from "../../lib/core/member_id.ts";
import { type Prng, randomIndex } from "../../lib/core/prng.ts";
import { HEADER_BYTES, MessageKind, sealDatagram } from "../../lib/core/wire.ts";
import { MAX_PIGGYBACK } from "../../lib/swim/options.ts";

/** What a datagram is. */
export const HOSTILE_CATEGORIES = ["random", "wrong-header", "crafted", "mutated", "oversized"] as const;
/** One of {@linkcode HOSTILE_CATEGORIES}. */
export type HostileCategory = typeof HOSTILE_CATEGORIES[number];

/** Entries of the issue's oversized list: 8,186 made-up members, 65,496 bytes. */
export const ISSUE_LIST_ENTRIES = 8186;

const LIST_KINDS = [
  MessageKind.HeartbeatList,
  MessageKind.PullRequest,
  MessageKind.PushPull,
  MessageKind.DigestSyn,
  MessageKind.DigestAck,
  MessageKind.Broadcast,
];
const SWIM_KINDS = [MessageKind.SwimPing, MessageKind.SwimAck, MessageKind.SwimPingReq, MessageKind.SwimGossip];
const NEIGHBOR_KINDS = [
  MessageKind.NeighborPing,
  MessageKind.NeighborAck,
  MessageKind.NeighborAccuse,
  MessageKind.NeighborNotice,
  MessageKind.NeighborMembership,
];

/** A seeded source of hostile datagrams against a group whose public addresses are `members`. */
export class HostileDatagrams {
  readonly #rng: Prng;
  readonly #members: readonly MemberId[];
  /** Recent crafted datagrams, to mutate. */
  readonly #recent: Uint8Array[] = [];

  constructor(rng: Prng, members: readonly MemberId[]) {
    this.#rng = rng;
    this.#members = members;
  }

  /** The next datagram and what it is. */
  next(): { bytes: Uint8Array; category: HostileCategory } {
    const u = this.#rng();
    if (u < 0.005) return { bytes: this.#oversized(), category: "oversized" };
    if (u < 0.15) return { bytes: this.#random(), category: "random" };
    if (u < 0.3) return { bytes: this.#wrongHeader(), category: "wrong-header" };
    if (u < 0.6 && this.#recent.length > 0) {
      return { bytes: this.#mutate(this.#recent[this.#int(this.#recent.length)]!), category: "mutated" };
    }
    const bytes = this.#crafted();
    if (this.#recent.length < 64) this.#recent.push(bytes);
    else this.#recent[this.#int(64)] = bytes;
    return { bytes, category: "crafted" };
  }

  #int(n: number): number {
    return randomIndex(this.#rng, n);
  }

  #fill(bytes: Uint8Array, from = 0): Uint8Array {
    for (let i = from; i < bytes.length; i++) bytes[i] = this.#int(256);
    return bytes;
  }

  /** A member id: one of the group, a made-up one, an edge address, or (rarely) port 0. */
  #id(): MemberId {
    const u = this.#rng();
    if (u < 0.4 && this.#members.length > 0) return this.#members[this.#int(this.#members.length)]!;
    if (u < 0.9) return this.#madeUp();
    if (u < 0.97) return [1, 0xffffffff * 65536 + 65535][this.#int(2)]!;
    return this.#int(0x100000000) * 65536; // port 0
  }

  #madeUp(): MemberId {
    return this.#int(0x100000000) * 65536 + 1 + this.#int(65535);
  }

  #random(): Uint8Array {
    const bytes = this.#fill(new Uint8Array(this.#rng() < 0.9 ? this.#int(64) : this.#int(1500)));
    if (bytes.length >= 2 && this.#rng() < 0.5) {
      bytes[0] = 1;
      bytes[1] = 1 + this.#int(15);
    }
    return bytes;
  }

  #wrongHeader(): Uint8Array {
    const bytes = this.#fill(new Uint8Array(HEADER_BYTES + this.#int(200)));
    return sealDatagram(bytes, this.#int(20) as MessageKind, this.#int(this.#rng() < 0.7 ? 16 : 65536));
  }

  #crafted(): Uint8Array {
    const family = this.#int(3);
    const count = this.#int(12);
    if (family === 0) {
      const kind = LIST_KINDS[this.#int(LIST_KINDS.length)]!;
      const n = kind === MessageKind.PullRequest ? 0 : count;
      const extra = kind === MessageKind.DigestAck ? 2 : 0;
      const bytes = new Uint8Array(HEADER_BYTES + extra + 8 * n);
      const view = new DataView(bytes.buffer);
      if (extra) view.setUint16(HEADER_BYTES, this.#int(n + 2));
      for (let i = 0, at = HEADER_BYTES + extra; i < n; i++, at += 8) {
        putId(view, at, this.#id());
        view.setUint16(at + 6, [0, 0x7fff, 0x8000, 0xffff, this.#int(65536)][this.#int(5)]!);
      }
      return sealDatagram(bytes, kind, n);
    }
    if (family === 1) {
      const kind = SWIM_KINDS[this.#int(SWIM_KINDS.length)]!;
      const bytes = new Uint8Array(HEADER_BYTES + 10 + 11 * count);
      const view = new DataView(bytes.buffer);
      view.setUint32(8, this.#int(64));
      putId(view, 12, kind === MessageKind.SwimPingReq ? this.#id() : 0);
      for (let i = 0, at = HEADER_BYTES + 10; i < count; i++, at += 11) {
        putId(view, at, this.#id());
        view.setUint32(at + 6, [0, 1, 0xfffffffe, 0xffffffff, this.#int(0x100000000)][this.#int(5)]!);
        bytes[at + 10] = this.#rng() < 0.95 ? this.#int(3) : 3 + this.#int(253);
      }
      return sealDatagram(bytes, kind, count);
    }
    const kind = NEIGHBOR_KINDS[this.#int(NEIGHBOR_KINDS.length)]!;
    const n = kind === MessageKind.NeighborPing || kind === MessageKind.NeighborAck ? 0 : count;
    const bytes = new Uint8Array(HEADER_BYTES + 8 * n);
    const view = new DataView(bytes.buffer);
    for (let i = 0, at = HEADER_BYTES; i < n; i++, at += 8) {
      putId(view, at, this.#id());
      view.setUint16(at + 6, [1, 0xfffe, 0xffff, this.#int(65536)][this.#int(4)]!);
    }
    return sealDatagram(bytes, kind, n);
  }

  /** A list as long as a codec allows, of made-up members. */
  #oversized(): Uint8Array {
    const which = this.#int(3);
    if (which === 0) {
      // Issue 11's datagram: a valid heartbeat list of 8,186 made-up members (65,496 bytes).
      const count = this.#rng() < 0.5 ? ISSUE_LIST_ENTRIES : MAX_ENTRIES;
      const bytes = new Uint8Array(HEADER_BYTES + 8 * count);
      const view = new DataView(bytes.buffer);
      for (let i = 0, at = HEADER_BYTES; i < count; i++, at += 8) {
        putId(view, at, this.#madeUp());
        view.setUint16(at + 6, this.#int(65536));
      }
      return sealDatagram(bytes, MessageKind.HeartbeatList, count);
    }
    if (which === 1) {
      const bytes = new Uint8Array(HEADER_BYTES + 10 + 11 * MAX_PIGGYBACK);
      const view = new DataView(bytes.buffer);
      for (let i = 0, at = HEADER_BYTES + 10; i < MAX_PIGGYBACK; i++, at += 11) {
        putId(view, at, this.#madeUp());
        view.setUint32(at + 6, this.#int(0x100000000));
        bytes[at + 10] = this.#int(2);
      }
      return sealDatagram(bytes, MessageKind.SwimGossip, MAX_PIGGYBACK);
    }
    const bytes = new Uint8Array(HEADER_BYTES + 8 * MAX_ENTRIES);
    const view = new DataView(bytes.buffer);
    for (let i = 0, at = HEADER_BYTES; i < MAX_ENTRIES; i++, at += 8) {
      putId(view, at, this.#madeUp());
      view.setUint16(at + 6, this.#int(65536));
    }
    return sealDatagram(bytes, MessageKind.NeighborMembership, MAX_ENTRIES);
  }

  #mutate(original: Uint8Array): Uint8Array {
    let bytes: Uint8Array = original.slice();
    const how = this.#int(4);
    if (how === 0) {
      for (let k = 1 + this.#int(4); k > 0; k--) bytes[this.#int(bytes.length)]! ^= 1 << this.#int(8);
    } else if (how === 1) {
      bytes = bytes.slice(0, this.#int(bytes.length));
    } else if (how === 2) {
      const longer = new Uint8Array(bytes.length + 1 + this.#int(24));
      longer.set(bytes);
      bytes = this.#fill(longer, bytes.length);
    } else if (bytes.length >= HEADER_BYTES) {
      // A wrong count under a valid checksum.
      return sealDatagram(bytes, bytes[1]! as MessageKind, ((bytes[2]! << 8) | bytes[3]!) + 1 + this.#int(3));
    }
    // Half of the rest get a checksum that matches what they now hold.
    if (bytes.length >= HEADER_BYTES && this.#rng() < 0.5) {
      return sealDatagram(bytes, bytes[1]! as MessageKind, (bytes[2]! << 8) | bytes[3]!);
    }
    return bytes;
  }
}

function putId(view: DataView, at: number, id: MemberId): void {
  view.setUint32(at, Math.floor(id / 65536));
  view.setUint16(at + 4, id % 65536);
}
