/**
 * The basic detector's wire messages, after the common header
 * (`../core/wire.ts`): the paper's 8-byte entries, 4 bytes IPv4 address,
 * 2 bytes port, 2 bytes heartbeat counter (all big-endian). The counter
 * wraps; {@linkcode serialDelta16} compares counters within a sliding
 * window.
 *
 * @module
 */

import type { MemberId } from "../core/member_id.ts";
import {
  DecodeError,
  HEADER_BYTES,
  MAX_DATAGRAM_BYTES,
  MessageKind,
  openDatagram,
  sealDatagram,
} from "../core/wire.ts";

/** Size of one heartbeat-list entry, as in the paper. */
export const ENTRY_BYTES = 8;

/** Most entries one datagram can carry. */
export const MAX_ENTRIES: number = Math.floor(
  (MAX_DATAGRAM_BYTES - HEADER_BYTES) / ENTRY_BYTES,
);

/** The kinds that carry a list of 8-byte (member, counter) entries. */
export const LIST_KINDS: readonly ListKind[] = [
  MessageKind.HeartbeatList,
  MessageKind.PullRequest,
  MessageKind.PushPull,
  MessageKind.DigestSyn,
  MessageKind.DigestAck,
  MessageKind.Broadcast,
];
/** A message kind that carries a list of (member, counter) entries. */
export type ListKind =
  | typeof MessageKind.HeartbeatList
  | typeof MessageKind.PullRequest
  | typeof MessageKind.PushPull
  | typeof MessageKind.DigestSyn
  | typeof MessageKind.DigestAck
  | typeof MessageKind.Broadcast;

/** A decoded heartbeat list, as parallel arrays (no per-entry objects). */
export interface HeartbeatList {
  /** Message kind. */
  readonly kind: ListKind;
  /** Member ids, one per entry. */
  readonly members: Float64Array;
  /** The 16-bit wire counters, one per entry. */
  readonly counters: Uint16Array;
  /** DigestAck only: how many leading entries are state (the rest are requests); else every entry. */
  readonly stateCount: number;
}

/** Every decoded message. */
export type Message = HeartbeatList;

/** Encoded size of a heartbeat list with `entries` entries (a DigestAck has 2 bytes more). */
export function heartbeatListBytes(entries: number, kind: ListKind = MessageKind.HeartbeatList): number {
  return HEADER_BYTES + listBodyBytes(entries, kind);
}

function listBodyBytes(entries: number, kind: number): number {
  return (kind === MessageKind.DigestAck ? 2 : 0) + ENTRY_BYTES * entries;
}

/**
 * Encodes a heartbeat list. `counters` are full (unbounded) counters; the
 * wire keeps their low 16 bits.
 */
export function encodeHeartbeatList(
  members: ArrayLike<MemberId>,
  counters: ArrayLike<number>,
  count: number = members.length,
  kind: ListKind = MessageKind.HeartbeatList,
  stateCount: number = count,
): Uint8Array {
  if (count > MAX_ENTRIES) {
    throw new RangeError(
      `Cannot encode a heartbeat list as it has ${count} entries: at most ${MAX_ENTRIES} fit in a datagram`,
    );
  }
  if (!(stateCount >= 0 && stateCount <= count)) {
    throw new RangeError(`Cannot encode a state count of ${stateCount} for ${count} entries`);
  }
  const bytes = new Uint8Array(heartbeatListBytes(count, kind));
  const view = new DataView(bytes.buffer);
  let at = HEADER_BYTES;
  if (kind === MessageKind.DigestAck) {
    view.setUint16(at, stateCount);
    at += 2;
  }
  for (let i = 0; i < count; i++) {
    const id = members[i]!;
    view.setUint32(at, Math.floor(id / 65536));
    view.setUint16(at + 4, id % 65536);
    view.setUint16(at + 6, counters[i]! & 0xffff);
    at += ENTRY_BYTES;
  }
  return sealDatagram(bytes, kind, count);
}

/**
 * Decodes one datagram. Throws {@linkcode DecodeError} for anything that is
 * not a well-formed message of a known kind: truncated or oversized, wrong
 * version, unknown kind, entry count not matching the length, checksum
 * mismatch, port 0, a member listed twice, a pull request with entries,
 * or a DigestAck whose state count exceeds its entries.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  const { kind, count, view } = openDatagram(bytes, LIST_KINDS, listBodyBytes);
  if (kind === MessageKind.PullRequest && count !== 0) {
    throw new DecodeError("entry", 2, `Cannot decode a pull request with ${count} entries: it carries none`);
  }
  // One allocation for both arrays (ids first, 8-byte aligned).
  const buffer = new ArrayBuffer(10 * count);
  const members = new Float64Array(buffer, 0, count);
  const counters = new Uint16Array(buffer, 8 * count, count);
  const seen = seenTable(count);
  let at = HEADER_BYTES;
  let stateCount = count;
  if (kind === MessageKind.DigestAck) {
    stateCount = view.getUint16(at);
    if (stateCount > count) {
      throw new DecodeError("entry", at, `Cannot decode a state count of ${stateCount} for ${count} entries`);
    }
    at += 2;
  }
  for (let i = 0; i < count; i++) {
    const port = view.getUint16(at + 4);
    if (port === 0) {
      throw new DecodeError(
        "entry",
        at + 4,
        `Cannot decode entry ${i}: port 0 names no member`,
      );
    }
    const ip = view.getUint32(at);
    const id = ip * 65536 + port;
    if (!seen.add(ip, port, id)) {
      throw new DecodeError(
        "entry",
        at,
        `Cannot decode entry ${i}: the member is listed twice`,
      );
    }
    members[i] = id;
    counters[i] = view.getUint16(at + 6);
    at += ENTRY_BYTES;
  }
  return { kind: kind as ListKind, members, counters, stateCount };
}

/**
 * Serial-number difference of two 16-bit counters (RFC 1982 style sliding
 * window): positive when `a` is newer than `b` by less than half the counter
 * space, negative when older, and 0 when equal. The exact half-way point
 * (32768 apart) is ambiguous and treated as not newer.
 */
export function serialDelta16(a: number, b: number): number {
  const d = ((a & 0xffff) - (b & 0xffff) + 0x10000) & 0xffff;
  return d < 0x8000 ? d : d - 0x10000;
}

/**
 * The ids of one datagram being decoded, to find a member listed twice: an
 * open-addressing table reused from datagram to datagram (a stamp per slot
 * marks the current datagram's entries), since a `Set` of ids costs more
 * than the rest of decoding.
 */
class SeenTable {
  #ids = new Float64Array(0);
  #stamps = new Uint32Array(0);
  #stamp = 0;
  #mask = 0;

  /** Empties the table and makes room for `count` ids. */
  reset(count: number): this {
    if (2 * count > this.#ids.length) {
      let size = 64;
      while (size < 2 * count) size *= 2;
      this.#ids = new Float64Array(size);
      this.#stamps = new Uint32Array(size);
      this.#stamp = 0;
      this.#mask = size - 1;
    }
    if (++this.#stamp === 0xffffffff) {
      this.#stamps.fill(0);
      this.#stamp = 1;
    }
    return this;
  }

  /** Adds the id (ip, port); false when it was already there. */
  add(ip: number, port: number, id: number): boolean {
    let h = Math.imul(ip, 0x9e3779b1) ^ port;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = (h ^ (h >>> 13)) & this.#mask;
    const stamp = this.#stamp;
    while (this.#stamps[h] === stamp) {
      if (this.#ids[h] === id) return false;
      h = (h + 1) & this.#mask;
    }
    this.#stamps[h] = stamp;
    this.#ids[h] = id;
    return true;
  }
}

const SEEN = new SeenTable();

function seenTable(count: number): SeenTable {
  return SEEN.reset(count);
}
