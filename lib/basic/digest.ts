/**
 * Digest-then-fetch (Cassandra's SYN / ACK / ACK2), steps 2 and 3, as pure
 * functions over the detector's list: the digest's receiver answers with
 * the entries it holds newer plus requests for those the digest shows
 * newer; the digest's sender answers the requests.
 *
 * @module
 */

import type { MemberId } from "../core/member_id.ts";
import { encodeHeartbeatList, MAX_ENTRIES, serialDelta16 } from "./codec.ts";
import { MessageKind } from "../core/wire.ts";

/** What the digest steps need to know of the detector's list. */
export interface DigestView {
  /** This member. */
  readonly self: MemberId;
  /** Its own heartbeat counter. */
  readonly heartbeat: number;
  /** The entry held for a member, if any. */
  entry(id: MemberId): { readonly counter: number; readonly silent: boolean } | undefined;
  /** Self and every member not silent, as parallel arrays. */
  snapshot(): { ids: MemberId[]; counters: number[] };
  /** Whether a member not held may be added (so is worth asking for); absent: always. */
  admits?(id: MemberId): boolean;
}

/**
 * Step 2: a DigestAck with what we hold newer, then requests for what the
 * digest shows newer (null: nothing). Requests for members the view would
 * not admit are left out, and so is whatever would not fit one datagram.
 */
export function answerDigest(view: DigestView, members: Float64Array, counters: Uint16Array): Uint8Array | null {
  const { ids, counters: mine } = view.snapshot();
  const inDigest = new Map<MemberId, number>();
  for (let i = 0; i < members.length; i++) inDigest.set(members[i]!, counters[i]!);
  const outIds: MemberId[] = [];
  const outCounters: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const theirs = inDigest.get(ids[i]!);
    if (theirs === undefined || serialDelta16(mine[i]!, theirs) > 0) {
      outIds.push(ids[i]!);
      outCounters.push(mine[i]!);
    }
  }
  const stateCount = outIds.length;
  for (const [id, theirs] of inDigest) {
    if (outIds.length >= MAX_ENTRIES) break;
    if (id === view.self) continue;
    const e = view.entry(id);
    if (e === undefined && view.admits && !view.admits(id)) continue;
    if (e === undefined || e.silent || serialDelta16(theirs, e.counter) > 0) {
      outIds.push(id);
      outCounters.push(e?.counter ?? 0);
    }
  }
  if (outIds.length === 0) return null;
  return encodeHeartbeatList(outIds, outCounters, outIds.length, MessageKind.DigestAck, stateCount);
}

/** Step 3: the entries asked for, from entry `from` of a DigestAck on (null: none held). */
export function answerRequests(view: DigestView, members: Float64Array, from: number): Uint8Array | null {
  const ids: MemberId[] = [];
  const counters: number[] = [];
  for (let i = from; i < members.length; i++) {
    const id = members[i]!;
    if (id === view.self) {
      ids.push(view.self);
      counters.push(view.heartbeat);
      continue;
    }
    const e = view.entry(id);
    if (e && !e.silent) {
      ids.push(id);
      counters.push(e.counter);
    }
  }
  return ids.length === 0 ? null : encodeHeartbeatList(ids, counters);
}
