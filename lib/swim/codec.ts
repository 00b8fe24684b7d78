/**
 * SWIM's wire messages, after the common 8-byte header (`codec.ts`): a
 * sequence number (4 bytes), a target address (6 bytes; 0 when none), then
 * `count` piggybacked membership updates of 11 bytes each: member address
 * (6), incarnation (4), status (1).
 *
 * @module
 */

import { DecodeError, MAX_DATAGRAM_BYTES, MessageKind, openDatagram, sealDatagram } from "../core/wire.ts";
import type { MemberId } from "../core/member_id.ts";

/** Membership status in an update. WARNING: ONLY APPEND TO THIS LIST! */
export const SwimStatus = { Alive: 0, Suspect: 1, Dead: 2 } as const;
/** One of {@linkcode SwimStatus}. */
export type SwimStatus = typeof SwimStatus[keyof typeof SwimStatus];

/** A piggybacked membership update. */
export interface SwimUpdate {
  /** The member it is about. */
  readonly member: MemberId;
  /** Its incarnation number. */
  readonly incarnation: number;
  /** Alive, suspect or dead. */
  readonly status: SwimStatus;
}

/** The SWIM message kinds. */
export type SwimKind =
  | typeof MessageKind.SwimPing
  | typeof MessageKind.SwimAck
  | typeof MessageKind.SwimPingReq
  | typeof MessageKind.SwimGossip;

/** A SWIM message. */
export interface SwimMessage {
  /** Ping, ack or ping-req. */
  readonly kind: SwimKind;
  /** Probe sequence number (an ack echoes its ping's). */
  readonly seq: number;
  /** For a ping-req: the member to probe; otherwise 0. */
  readonly target: MemberId;
  /** Piggybacked membership updates. */
  readonly updates: readonly SwimUpdate[];
}

const FIXED_BYTES = 10;
const UPDATE_BYTES = 11;
const KINDS = [MessageKind.SwimPing, MessageKind.SwimAck, MessageKind.SwimPingReq, MessageKind.SwimGossip];

/** Encoded size of a SWIM message with `updates` updates. */
export function swimMessageBytes(updates: number): number {
  return 8 + FIXED_BYTES + UPDATE_BYTES * updates;
}

/** Encodes a SWIM message; throws `RangeError` when its updates do not fit one datagram. */
export function encodeSwim(m: SwimMessage): Uint8Array {
  const size = swimMessageBytes(m.updates.length);
  if (size > MAX_DATAGRAM_BYTES) {
    throw new RangeError(
      `Cannot encode a SWIM message with ${m.updates.length} updates: it would take ${size} bytes, more than one datagram (${MAX_DATAGRAM_BYTES})`,
    );
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, m.seq >>> 0);
  view.setUint32(12, Math.floor(m.target / 65536));
  view.setUint16(16, m.target % 65536);
  let at = 8 + FIXED_BYTES;
  for (const u of m.updates) {
    view.setUint32(at, Math.floor(u.member / 65536));
    view.setUint16(at + 4, u.member % 65536);
    view.setUint32(at + 6, u.incarnation >>> 0);
    bytes[at + 10] = u.status;
    at += UPDATE_BYTES;
  }
  return sealDatagram(bytes, m.kind, m.updates.length);
}

/** Decodes a SWIM message; throws {@linkcode DecodeError} for anything malformed. */
export function decodeSwim(bytes: Uint8Array): SwimMessage {
  const { kind, count, view } = openDatagram(bytes, KINDS, (n) => FIXED_BYTES + UPDATE_BYTES * n);
  const target = view.getUint32(12) * 65536 + view.getUint16(16);
  if (kind === MessageKind.SwimPingReq && view.getUint16(16) === 0) {
    throw new DecodeError("entry", 16, "Cannot decode a ping-req without a target");
  }
  const updates: SwimUpdate[] = [];
  let at = 8 + FIXED_BYTES;
  for (let i = 0; i < count; i++) {
    const port = view.getUint16(at + 4);
    const status = bytes[at + 10]!;
    if (port === 0) throw new DecodeError("entry", at + 4, `Cannot decode update ${i}: port 0 names no member`);
    if (status > SwimStatus.Dead) {
      throw new DecodeError("entry", at + 10, `Cannot decode update ${i}: status ${status}`);
    }
    updates.push({
      member: view.getUint32(at) * 65536 + port,
      incarnation: view.getUint32(at + 6),
      status: status as SwimStatus,
    });
    at += UPDATE_BYTES;
  }
  return { kind: kind as SwimKind, seq: view.getUint32(8), target, updates };
}
