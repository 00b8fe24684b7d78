/**
 * The binary wire format. Every datagram starts with an 8-byte header:
 *
 * | offset | size | field                                                    |
 * | ------ | ---- | -------------------------------------------------------- |
 * | 0      | 1    | version ({@linkcode WIRE_VERSION})                       |
 * | 1      | 1    | message kind ({@linkcode MessageKind})                   |
 * | 2      | 2    | entry count, big-endian                                  |
 * | 4      | 4    | CRC-32 of the whole datagram with this field zeroed      |
 *
 * A heartbeat list then carries the paper's 8-byte entries: 4 bytes IPv4
 * address, 2 bytes port, 2 bytes heartbeat counter (all big-endian). The
 * counter wraps; {@linkcode serialDelta16} compares counters within a
 * sliding window. The checksum lets a member reject datagrams whose bits
 * were flipped in transit (UDP's own checksum is recomputed by whoever
 * re-sends, so it cannot catch a corrupting proxy).
 *
 * @module
 */

import { crc32 } from "../core/_crc32.ts";
import type { MemberId } from "../core/member_id.ts";

/** The wire version this codec writes and accepts. */
export const WIRE_VERSION = 1;

/** Header size in bytes. */
export const HEADER_BYTES = 8;

/** Size of one heartbeat-list entry, as in the paper. */
export const ENTRY_BYTES = 8;

/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_BYTES = 65507;

/** Most entries one datagram can carry. */
export const MAX_ENTRIES: number = Math.floor(
  (MAX_DATAGRAM_BYTES - HEADER_BYTES) / ENTRY_BYTES,
);

/**
 * Message kinds on the wire.
 * WARNING: ONLY APPEND TO THIS LIST! The numbers are the wire format.
 */
export const MessageKind = {
  /** The basic detector's gossip: the sender's whole heartbeat list. */
  HeartbeatList: 1,
  /** SWIM: direct probe (see swim_codec.ts). */
  SwimPing: 2,
  /** SWIM: answer to a probe. */
  SwimAck: 3,
  /** SWIM: ask a member to probe a target on our behalf. */
  SwimPingReq: 4,
  /** SWIM (memberlist-style): membership updates only, gossiped on their own schedule. */
  SwimGossip: 5,
  /** Pull gossip: "send me your list" (no entries); answered with a HeartbeatList. */
  PullRequest: 6,
  /** Push-pull gossip: the sender's list, to be answered with the receiver's (a HeartbeatList). */
  PushPull: 7,
  /** Digest-then-fetch, step 1: the sender's (member, counter) digest. */
  DigestSyn: 8,
  /**
   * Digest-then-fetch, step 2: the first `stateCount` entries are newer state
   * for the digest's sender; the rest are requests (the receiver's counter for
   * members where the digest was newer), answered with a HeartbeatList.
   */
  DigestAck: 9,
  /** Catastrophe recovery: a whole list sent to the subnet's broadcast address. */
  Broadcast: 10,
  /** The lecture's neighbour-ping detector (see neighbor.ts): ping. */
  NeighborPing: 11,
  /** Neighbour-ping detector: answer to a ping. */
  NeighborAck: 12,
  /** Neighbour-ping detector: a pinger accuses a member (to the member's other pingers). */
  NeighborAccuse: 13,
  /** Neighbour-ping detector: failure (or refutation) notices, gossiped fast. */
  NeighborNotice: 14,
  /** Neighbour-ping detector: the membership list, gossiped slowly. */
  NeighborMembership: 15,
} as const;
/** A message kind number. */
export type MessageKind = typeof MessageKind[keyof typeof MessageKind];

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

/** Bad bytes from a peer: the datagram is rejected whole. */
export class DecodeError extends RangeError {
  /** Byte offset at which the problem was found. */
  readonly offset: number;
  /** Short machine-readable reason, for counting rejections by cause. */
  readonly reason: DecodeErrorReason;
  /**
   * Creates the error.
   * @param reason Short cause, for counting.
   * @param offset Byte offset of the problem.
   * @param message What is wrong.
   */
  constructor(reason: DecodeErrorReason, offset: number, message: string) {
    super(`${message} (at byte ${offset})`);
    this.name = "DecodeError";
    this.offset = offset;
    this.reason = reason;
  }
}

/** Why a datagram was rejected. */
export type DecodeErrorReason =
  | "truncated"
  | "version"
  | "kind"
  | "length"
  | "checksum"
  | "entry";

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
 * Writes the header's version, kind and count and the CRC-32 of the whole
 * datagram into `bytes` (whose body the caller has written from byte 8).
 */
export function sealDatagram(bytes: Uint8Array, kind: MessageKind, count: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  bytes[0] = WIRE_VERSION;
  bytes[1] = kind;
  view.setUint16(2, count);
  view.setUint32(4, 0);
  view.setUint32(4, checksum(bytes));
  return bytes;
}

/**
 * Checks a datagram's header and checksum for one of `kinds` and a body of
 * exactly `bodyBytes(count)` bytes; returns its kind, count and a view.
 * Throws {@linkcode DecodeError} otherwise.
 */
export function openDatagram(
  bytes: Uint8Array,
  kinds: readonly number[],
  bodyBytes: (count: number, kind: number) => number,
): { kind: number; count: number; view: DataView } {
  if (bytes.length < HEADER_BYTES) {
    throw new DecodeError(
      "truncated",
      bytes.length,
      `Cannot decode a datagram of ${bytes.length} bytes: the header alone is ${HEADER_BYTES}`,
    );
  }
  if (bytes[0] !== WIRE_VERSION) {
    throw new DecodeError("version", 0, `Cannot decode wire version ${bytes[0]}: expected ${WIRE_VERSION}`);
  }
  const kind = bytes[1]!;
  if (!kinds.includes(kind)) throw new DecodeError("kind", 1, `Cannot decode message kind ${kind}: unknown here`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(2);
  const expected = HEADER_BYTES + bodyBytes(count, kind);
  if (bytes.length !== expected) {
    throw new DecodeError(
      "length",
      Math.min(bytes.length, expected),
      `Cannot decode a message of kind ${kind} with count ${count} from ${bytes.length} bytes: expected ${expected}`,
    );
  }
  if (view.getUint32(4) !== checksum(bytes)) {
    throw new DecodeError("checksum", 4, "Cannot decode a datagram whose checksum does not match its bytes");
  }
  return { kind, count, view };
}

function checksum(bytes: Uint8Array): number {
  const head = crc32(bytes, 0, 4);
  return crc32(bytes, 8, bytes.length, crc32(ZERO4, 0, 4, head));
}
const ZERO4 = new Uint8Array(4);

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
  const members = new Float64Array(count);
  const counters = new Uint16Array(count);
  const seen = new Set<number>();
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
    const id = view.getUint32(at) * 65536 + port;
    if (seen.has(id)) {
      throw new DecodeError(
        "entry",
        at,
        `Cannot decode entry ${i}: the member is listed twice`,
      );
    }
    seen.add(id);
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
