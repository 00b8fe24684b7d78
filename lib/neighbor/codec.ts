/**
 * The neighbour-ping detector's wire messages, after the common header
 * (`../core/wire.ts`): 8-byte entries (IPv4, port, and a 16-bit state =
 * incarnation * 2 + dead) as in the heartbeat list; pings and acks carry no
 * entries.
 *
 * @module
 */

import { ENTRY_BYTES, MAX_ENTRIES } from "../basic/codec.ts";
import type { MemberId } from "../core/member_id.ts";
import { DecodeError, HEADER_BYTES, MessageKind, openDatagram, sealDatagram } from "../core/wire.ts";

/** Encoded size of a neighbour-protocol message with `entries` entries. */
export function neighborMessageBytes(entries: number): number {
  return HEADER_BYTES + ENTRY_BYTES * entries;
}

/** The message kinds of the neighbour-ping detector. */
export type NeighborKind =
  | typeof MessageKind.NeighborPing
  | typeof MessageKind.NeighborAck
  | typeof MessageKind.NeighborAccuse
  | typeof MessageKind.NeighborNotice
  | typeof MessageKind.NeighborMembership;

const KINDS: readonly NeighborKind[] = [
  MessageKind.NeighborPing,
  MessageKind.NeighborAck,
  MessageKind.NeighborAccuse,
  MessageKind.NeighborNotice,
  MessageKind.NeighborMembership,
];

/** Encodes a neighbour-protocol message. */
export function encodeNeighborMessage(
  kind: NeighborKind,
  ids: readonly MemberId[],
  states: readonly number[],
): Uint8Array {
  if (ids.length > MAX_ENTRIES) throw new RangeError(`Cannot encode ${ids.length} entries in one datagram`);
  const bytes = new Uint8Array(neighborMessageBytes(ids.length));
  const view = new DataView(bytes.buffer);
  let at = HEADER_BYTES;
  for (let i = 0; i < ids.length; i++) {
    view.setUint32(at, Math.floor(ids[i]! / 65536));
    view.setUint16(at + 4, ids[i]! % 65536);
    view.setUint16(at + 6, states[i]!);
    at += ENTRY_BYTES;
  }
  return sealDatagram(bytes, kind, ids.length);
}

/** Decodes a neighbour-protocol datagram; throws {@linkcode DecodeError} when malformed. */
export function decodeNeighborMessage(
  bytes: Uint8Array,
): { kind: NeighborKind; ids: MemberId[]; states: number[] } {
  const { kind, count, view } = openDatagram(bytes, KINDS, (n) => ENTRY_BYTES * n);
  if ((kind === MessageKind.NeighborPing || kind === MessageKind.NeighborAck) && count !== 0) {
    throw new DecodeError("entry", 2, `Cannot decode a ping or ack with ${count} entries: it carries none`);
  }
  const ids: MemberId[] = [];
  const states: number[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const port = view.getUint16(at + 4);
    if (port === 0) throw new DecodeError("entry", at + 4, `Cannot decode entry ${i}: port 0 names no member`);
    ids.push(view.getUint32(at) * 65536 + port);
    states.push(view.getUint16(at + 6));
    at += ENTRY_BYTES;
  }
  return { kind: kind as NeighborKind, ids, states };
}
