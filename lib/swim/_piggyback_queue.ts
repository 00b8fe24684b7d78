// SWIM's piggyback queue (memberlist's queue.go; private helper of the SWIM detector): one update per
// key (member), each sent `transmits` times, the least-sent first and, among equals, the one queued
// earliest. A binary heap over the queued entries only, so taking m updates costs O(m log q) and a
// queue of q entries costs O(q) memory whatever the group size.

import type { MemberId } from "../core/member_id.ts";
import { SwimStatus, type SwimUpdate } from "./codec.ts";

interface Entry {
  readonly key: number;
  member: MemberId;
  incarnation: number;
  status: SwimStatus;
  /** Transmissions left. */
  left: number;
  /** Order of first queueing (kept when the update is replaced), the tie-break. */
  readonly order: number;
}

/** Entry `a` goes out before entry `b`. */
const before = (a: Entry, b: Entry) => a.left > b.left || (a.left === b.left && a.order < b.order);

/** The queue; keys are small non-negative integers (member slots). */
export class PiggybackQueue {
  readonly #heap: Entry[] = [];
  /** Heap position of each key's entry, or -1. */
  #where = new Int32Array(16).fill(-1);
  #order = 0;

  /** Updates queued. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Queues an update about `key` to be sent `transmits` times. An update
   * already queued for `key` is replaced and keeps its place among equals.
   */
  enqueue(key: number, member: MemberId, incarnation: number, status: SwimStatus, transmits: number): void {
    if (key >= this.#where.length) {
      const where = new Int32Array(Math.max(key + 1, 2 * this.#where.length)).fill(-1);
      where.set(this.#where);
      this.#where = where;
    }
    const i = this.#where[key]!;
    if (i >= 0) {
      const e = this.#heap[i]!;
      e.member = member;
      e.incarnation = incarnation;
      e.status = status;
      e.left = transmits;
      this.#down(this.#up(i));
      return;
    }
    this.#heap.push({ key, member, incarnation, status, left: transmits, order: this.#order++ });
    this.#up(this.#heap.length - 1);
  }

  /**
   * Takes up to `max` updates, each counted as one transmission (dropped
   * after its last). With `first` (the buddy system), that key's queued
   * update goes first if it is a suspicion (status `suspect`).
   */
  take(max: number, first = -1): SwimUpdate[] {
    const picked: Entry[] = [];
    if (max <= 0 || this.#heap.length === 0) return [];
    if (first >= 0 && first < this.#where.length) {
      const i = this.#where[first]!;
      if (i >= 0 && this.#heap[i]!.status === SwimStatus.Suspect) picked.push(this.#removeAt(i));
    }
    while (picked.length < max && this.#heap.length > 0) picked.push(this.#removeAt(0));
    const out: SwimUpdate[] = [];
    for (const e of picked) {
      out.push({ member: e.member, incarnation: e.incarnation, status: e.status });
      if (--e.left > 0) {
        this.#heap.push(e);
        this.#up(this.#heap.length - 1);
      }
    }
    return out;
  }

  #removeAt(i: number): Entry {
    const h = this.#heap;
    const e = h[i]!;
    this.#where[e.key] = -1;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      this.#where[last.key] = i;
      this.#down(this.#up(i));
    }
    return e;
  }

  #up(i: number): number {
    const h = this.#heap;
    const e = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!before(e, p)) break;
      h[i] = p;
      this.#where[p.key] = i;
      i = parent;
    }
    h[i] = e;
    this.#where[e.key] = i;
    return i;
  }

  #down(i: number): void {
    const h = this.#heap, n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(h[r]!, h[l]!) ? r : l;
      const c = h[child]!;
      if (!before(c, e)) break;
      h[i] = c;
      this.#where[c.key] = i;
      i = child;
    }
    h[i] = e;
    this.#where[e.key] = i;
  }
}
