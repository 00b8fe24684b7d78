// An indexed binary min-heap of deadlines keyed by member slot (private helper of the SWIM detector):
// set, move and delete a slot's deadline in O(log n), read the earliest in O(1). Typed arrays only;
// 4 bytes per slot plus 12 per deadline held (suspicions are few).

/** Deadlines (ms) of slots 0..capacity-1, earliest first; ties by slot. */
export class DeadlineHeap {
  /** Slot and deadline at each heap position. */
  #slot = new Int32Array(8);
  #at = new Float64Array(8);
  /** Heap position of each slot, or -1. */
  #where: Int32Array;
  #size = 0;

  constructor(capacity: number) {
    this.#where = new Int32Array(capacity).fill(-1);
  }

  /** Slots with a deadline. */
  get size(): number {
    return this.#size;
  }

  /** Makes room for slots below `capacity`. */
  grow(capacity: number): void {
    if (capacity <= this.#where.length) return;
    const where = new Int32Array(capacity).fill(-1);
    where.set(this.#where);
    this.#where = where;
  }

  /** The earliest deadline, or Infinity when empty. */
  peekTime(): number {
    return this.#size > 0 ? this.#at[0]! : Infinity;
  }

  /** The slot with the earliest deadline (the heap must not be empty). */
  peekSlot(): number {
    return this.#slot[0]!;
  }

  /** Sets (or moves) `slot`'s deadline. */
  set(slot: number, atMs: number): void {
    let i = this.#where[slot]!;
    if (i < 0) {
      if (this.#size === this.#slot.length) {
        const s = new Int32Array(2 * this.#size), a = new Float64Array(2 * this.#size);
        s.set(this.#slot);
        a.set(this.#at);
        [this.#slot, this.#at] = [s, a];
      }
      i = this.#size++;
    }
    this.#sift(i, slot, atMs);
  }

  /** Removes `slot`'s deadline, if it has one. */
  delete(slot: number): void {
    const i = this.#where[slot]!;
    if (i < 0) return;
    this.#where[slot] = -1;
    const last = --this.#size;
    if (i < last) this.#sift(i, this.#slot[last]!, this.#at[last]!);
  }

  /** Puts (slot, at) at position i, then moves it up or down to where it belongs. */
  #sift(i: number, slot: number, at: number): void {
    const s = this.#slot, a = this.#at, where = this.#where, n = this.#size;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!(at < a[parent]! || (at === a[parent] && slot < s[parent]!))) break;
      s[i] = s[parent]!;
      a[i] = a[parent]!;
      where[s[i]!] = i;
      i = parent;
    }
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (a[r]! < a[l]! || (a[r] === a[l] && s[r]! < s[l]!)) ? r : l;
      if (!(a[c]! < at || (a[c] === at && s[c]! < slot))) break;
      s[i] = s[c]!;
      a[i] = a[c]!;
      where[s[i]!] = i;
      i = c;
    }
    s[i] = slot;
    a[i] = at;
    where[slot] = i;
  }
}
