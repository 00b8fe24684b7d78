// Member id -> slot, as an open-addressing hash table over typed arrays (private helper of the SWIM
// detector): 24 bytes a member at most, against about 62 for a Map keyed by 48-bit ids (each key a
// boxed number). Insert and look up only; slots are never given back.

/** Ids (positive integers below 2^53) mapped to slots (non-negative integers). */
export class SlotTable {
  /** Id at each position; 0 = empty (no member id is 0). */
  #keys: Float64Array;
  #slots: Int32Array;
  #mask: number;
  #size = 0;

  constructor(expected: number) {
    let capacity = 8;
    while (capacity < 2 * expected) capacity *= 2;
    this.#keys = new Float64Array(capacity);
    this.#slots = new Int32Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Ids in the table. */
  get size(): number {
    return this.#size;
  }

  /** The slot of `id`, or -1. */
  get(id: number): number {
    const keys = this.#keys, mask = this.#mask;
    for (let i = hash(id) & mask;; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === 0) return -1;
      if (k === id) return this.#slots[i]!;
    }
  }

  /** Maps `id` (not yet in the table) to `slot`. */
  add(id: number, slot: number): void {
    if (!(id > 0)) throw new RangeError(`Cannot index member id ${id}: ids are positive (port >= 1)`);
    if (2 * (this.#size + 1) > this.#keys.length) this.#rehash();
    this.#place(id, slot);
    this.#size++;
  }

  #place(id: number, slot: number): void {
    const keys = this.#keys, mask = this.#mask;
    let i = hash(id) & mask;
    while (keys[i] !== 0) i = (i + 1) & mask;
    keys[i] = id;
    this.#slots[i] = slot;
  }

  #rehash(): void {
    const keys = this.#keys, slots = this.#slots;
    this.#keys = new Float64Array(2 * keys.length);
    this.#slots = new Int32Array(2 * keys.length);
    this.#mask = 2 * keys.length - 1;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.#place(keys[i]!, slots[i]!);
  }
}

/** Mixes both halves of an id (murmur3's finaliser). */
function hash(id: number): number {
  let h = (id >>> 0) ^ Math.imul(Math.floor(id / 4294967296), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
