// An indexed binary min-heap of deadlines keyed by member slot (private helper of the SWIM detector):
// set, move and delete a slot's deadline in O(log n), read the earliest in O(1). Typed arrays only.

/** Deadlines (ms) of slots 0..capacity-1, earliest first; ties by slot. */
export class DeadlineHeap {
  #at: Float64Array;
  #heap: Int32Array;
  /** Position of each slot in `#heap`, or -1. */
  #where: Int32Array;
  #size = 0;

  constructor(capacity: number) {
    this.#at = new Float64Array(capacity);
    this.#heap = new Int32Array(capacity);
    this.#where = new Int32Array(capacity).fill(-1);
  }

  /** Slots with a deadline. */
  get size(): number {
    return this.#size;
  }

  /** Makes room for slots below `capacity`. */
  grow(capacity: number): void {
    if (capacity <= this.#where.length) return;
    const at = new Float64Array(capacity);
    at.set(this.#at);
    const heap = new Int32Array(capacity);
    heap.set(this.#heap);
    const where = new Int32Array(capacity).fill(-1);
    where.set(this.#where);
    [this.#at, this.#heap, this.#where] = [at, heap, where];
  }

  /** The earliest deadline, or Infinity when empty. */
  peekTime(): number {
    return this.#size > 0 ? this.#at[this.#heap[0]!]! : Infinity;
  }

  /** The slot with the earliest deadline (the heap must not be empty). */
  peekSlot(): number {
    return this.#heap[0]!;
  }

  /** Whether `slot` has a deadline. */
  has(slot: number): boolean {
    return this.#where[slot]! >= 0;
  }

  /** Sets (or moves) `slot`'s deadline. */
  set(slot: number, atMs: number): void {
    let i = this.#where[slot]!;
    if (i < 0) {
      i = this.#size++;
      this.#heap[i] = slot;
      this.#where[slot] = i;
    }
    this.#at[slot] = atMs;
    this.#down(this.#up(i));
  }

  /** Removes `slot`'s deadline, if it has one. */
  delete(slot: number): void {
    const i = this.#where[slot]!;
    if (i < 0) return;
    this.#where[slot] = -1;
    const last = this.#heap[--this.#size]!;
    if (i === this.#size) return;
    this.#heap[i] = last;
    this.#where[last] = i;
    this.#down(this.#up(i));
  }

  #less(a: number, b: number): boolean {
    const ta = this.#at[a]!, tb = this.#at[b]!;
    return ta < tb || (ta === tb && a < b);
  }

  #up(i: number): number {
    const h = this.#heap, where = this.#where;
    const slot = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!this.#less(slot, p)) break;
      h[i] = p;
      where[p] = i;
      i = parent;
    }
    h[i] = slot;
    where[slot] = i;
    return i;
  }

  #down(i: number): void {
    const h = this.#heap, where = this.#where, n = this.#size;
    const slot = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.#less(h[r]!, h[l]!) ? r : l;
      const c = h[child]!;
      if (!this.#less(c, slot)) break;
      h[i] = c;
      where[c] = i;
      i = child;
    }
    h[i] = slot;
    where[slot] = i;
  }
}
