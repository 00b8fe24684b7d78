/**
 * The simulator's event queue: a binary min-heap of (time, seq) keys over
 * compact records, so every step costs O(log q) for q pending events and
 * nothing is ever scanned. Keys and record slots live in typed arrays; a
 * record is a kind, two integers and an optional payload (a datagram's
 * bytes), kept in a pool of slots reused through a free list. Events at the
 * same time come out in the order they were pushed (`seq`), which makes a
 * run deterministic.
 *
 * Popping does not allocate: the popped event is read from the queue's
 * `time`, `kind`, `a`, `b` and `payload` fields until the next pop.
 *
 * @module
 */

/** What an event is; the engine gives `a` and `b` their meaning per kind. */
export const EventKind = {
  /** A member's deadline: `a` member index, `b` the deadline's version. */
  Deadline: 0,
  /** A datagram copy arriving: `a` sender index, `b` receiver index, payload its bytes. */
  Deliver: 1,
  /** A fault-schedule action: `a` its index in the scenario's actions. */
  Fault: 2,
  /** A stats sample of every member's sent bytes. */
  Stats: 3,
  /** The end of the scheduled run. */
  End: 4,
} as const;
/** One of {@linkcode EventKind}'s values. */
export type EventKind = typeof EventKind[keyof typeof EventKind];

/** A min-heap of timed events (see the module documentation). */
export class EventQueue {
  // Heap order: key (time, seq) and the record's slot.
  #time: Float64Array;
  #seq: Float64Array;
  #slot: Int32Array;
  #size = 0;
  #nextSeq = 0;
  // Record pool, by slot.
  #kind: Uint8Array;
  #a: Int32Array;
  #b: Int32Array;
  #payload: (Uint8Array | null)[];
  #free: Int32Array;
  #freeCount: number;
  #capacity: number;

  /** The popped event's time. */
  time = 0;
  /** The popped event's kind. */
  kind: EventKind = EventKind.End;
  /** The popped event's first integer. */
  a = 0;
  /** The popped event's second integer. */
  b = 0;
  /** The popped event's payload, or null. */
  payload: Uint8Array | null = null;
  /** Events pushed so far. */
  pushed = 0;
  /** Most events pending at once. */
  peak = 0;

  /** An empty queue with room for `capacity` events before it grows. */
  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.#capacity = c;
    this.#time = new Float64Array(c);
    this.#seq = new Float64Array(c);
    this.#slot = new Int32Array(c);
    this.#kind = new Uint8Array(c);
    this.#a = new Int32Array(c);
    this.#b = new Int32Array(c);
    this.#payload = new Array<Uint8Array | null>(c).fill(null);
    this.#free = new Int32Array(c);
    for (let i = 0; i < c; i++) this.#free[i] = c - 1 - i;
    this.#freeCount = c;
  }

  /** Events pending. */
  get size(): number {
    return this.#size;
  }

  /** The earliest pending time, or Infinity when empty. */
  peekTime(): number {
    return this.#size > 0 ? this.#time[0]! : Infinity;
  }

  /** Adds an event at `time`. */
  push(time: number, kind: EventKind, a: number, b: number, payload: Uint8Array | null = null): void {
    if (this.#size === this.#capacity) this.#grow();
    const slot = this.#free[--this.#freeCount]!;
    this.#kind[slot] = kind;
    this.#a[slot] = a;
    this.#b[slot] = b;
    this.#payload[slot] = payload;
    const seq = this.#nextSeq++;
    // Sift up from the end.
    const times = this.#time, seqs = this.#seq, slots = this.#slot;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
    this.pushed++;
    if (this.#size > this.peak) this.peak = this.#size;
  }

  /** Removes the earliest event into `time`, `kind`, `a`, `b`, `payload`; false when empty. */
  pop(): boolean {
    if (this.#size === 0) return false;
    const times = this.#time, seqs = this.#seq, slots = this.#slot;
    const slot = slots[0]!;
    this.time = times[0]!;
    this.kind = this.#kind[slot] as EventKind;
    this.a = this.#a[slot]!;
    this.b = this.#b[slot]!;
    this.payload = this.#payload[slot]!;
    this.#payload[slot] = null;
    this.#free[this.#freeCount++] = slot;
    const n = --this.#size;
    if (n === 0) return true;
    // Sift the last entry down from the root.
    const t = times[n]!, s = seqs[n]!, sl = slots[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n && (times[right]! < times[child]! || (times[right] === times[child] && seqs[right]! < seqs[child]!))
      ) {
        child = right;
      }
      const ct = times[child]!;
      if (t < ct || (t === ct && s < seqs[child]!)) break;
      times[i] = ct;
      seqs[i] = seqs[child]!;
      slots[i] = slots[child]!;
      i = child;
    }
    times[i] = t;
    seqs[i] = s;
    slots[i] = sl;
    return true;
  }

  #grow(): void {
    const old = this.#capacity;
    const c = 2 * old;
    const widen = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(c);
      b.set(a);
      return b;
    };
    this.#time = widen(this.#time, (n) => new Float64Array(n));
    this.#seq = widen(this.#seq, (n) => new Float64Array(n));
    this.#slot = widen(this.#slot, (n) => new Int32Array(n));
    this.#kind = widen(this.#kind, (n) => new Uint8Array(n));
    this.#a = widen(this.#a, (n) => new Int32Array(n));
    this.#b = widen(this.#b, (n) => new Int32Array(n));
    for (let i = old; i < c; i++) this.#payload.push(null);
    // Every slot was in use: the new ones are free.
    this.#free = new Int32Array(c);
    for (let i = 0; i < old; i++) this.#free[i] = c - 1 - i;
    this.#freeCount = old;
    this.#capacity = c;
  }
}
