// A set of member slots with rank queries (private helper of the SWIM detector): a Fenwick tree of
// 0/1 counts, so "the r-th member of the set in slot order" costs O(log n) instead of building the
// filtered list. Picking a random r-th, removing it and picking again draws exactly what
// `list.splice(randomIndex(rng, list.length), 1)` draws on that list.

/** Slots 0..capacity-1 in or out of the set. */
export class RankSet {
  #tree: Int32Array;
  #top = 1;
  #size = 0;

  constructor(capacity: number) {
    this.#tree = new Int32Array(capacity + 1);
    this.#setTop();
  }

  /** Slots in the set. */
  get size(): number {
    return this.#size;
  }

  /** Makes room for slots below `capacity`; `has(slot)` tells which of the current ones are in. */
  grow(capacity: number, has: (slot: number) => boolean, used: number): void {
    if (capacity + 1 <= this.#tree.length) return;
    const tree = new Int32Array(capacity + 1);
    // Linear-time build: each node passes its sum on to its parent.
    for (let i = 1; i <= capacity; i++) {
      if (i <= used && has(i - 1)) tree[i]! += 1;
      const parent = i + (i & -i);
      if (parent <= capacity) tree[parent]! += tree[i]!;
    }
    this.#tree = tree;
    this.#setTop();
  }

  /** Adds 1 (in) or -1 (out) at `slot`; the caller keeps membership consistent. */
  add(slot: number, delta: 1 | -1): void {
    const t = this.#tree, n = t.length - 1;
    for (let i = slot + 1; i <= n; i += i & -i) t[i]! += delta;
    this.#size += delta;
  }

  /** The slot of rank `rank` (0-based, in slot order) among the set's members; rank < size. */
  nth(rank: number): number {
    const t = this.#tree, n = t.length - 1;
    let at = 0;
    for (let step = this.#top; step > 0; step >>= 1) {
      const next = at + step;
      if (next <= n && t[next]! <= rank) {
        at = next;
        rank -= t[next]!;
      }
    }
    return at;
  }

  #setTop(): void {
    const n = this.#tree.length - 1;
    this.#top = 1;
    while (this.#top * 2 <= n) this.#top *= 2;
  }
}
