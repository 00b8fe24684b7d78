/**
 * The common datagram header every detector's messages start with, and the
 * message kind numbers of every detector (one enum, so kinds never clash):
 *
 * | offset | size | field                                                    |
 * | ------ | ---- | -------------------------------------------------------- |
 * | 0      | 1    | version ({@linkcode WIRE_VERSION})                       |
 * | 1      | 1    | message kind ({@linkcode MessageKind})                   |
 * | 2      | 2    | entry count, big-endian                                  |
 * | 4      | 4    | CRC-32 of the whole datagram with this field zeroed      |
 *
 * The checksum lets a member reject datagrams whose bits were flipped in
 * transit (UDP's own checksum is recomputed by whoever re-sends, so it
 * cannot catch a corrupting proxy).
 *
 * @module
 */

import { crc32 } from "./_crc32.ts";

/** The wire version every codec writes and accepts. */
export const WIRE_VERSION = 1;

/** Header size in bytes. */
export const HEADER_BYTES = 8;

/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_BYTES = 65507;

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
 * exactly `bodyBytes(count)` bytes, the whole no larger than one UDP
 * datagram; returns its kind, count and a view.
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
  if (bytes.length > MAX_DATAGRAM_BYTES) {
    throw new DecodeError(
      "length",
      MAX_DATAGRAM_BYTES,
      `Cannot decode a datagram of ${bytes.length} bytes: at most ${MAX_DATAGRAM_BYTES} fit in one UDP datagram`,
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
