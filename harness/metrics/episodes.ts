/**
 * Propagation episodes, aggregated where they are produced (in each shard):
 * an episode is one heartbeat increment (source s, counter h) at its origin
 * time; an observer learns it when it first holds a counter >= h for s
 * (metrics.md, "Mistake probability"). Per episode the tracker keeps only
 * how many of its observers learned it and the largest propagation time;
 * every propagation time also goes into one histogram (the per-pair curve
 * and the mean infection curve). Nothing is kept per (observer, episode).
 *
 * Origins come from the source's shard; for sources hosted elsewhere they
 * arrive through the coordinator a little later, so learns that precede
 * their origin wait in a small pending buffer.
 *
 * Open episodes sit in typed arrays in the order they opened (a ring of
 * sequence numbers), found by a per-source table indexed by the counter's
 * low bits, so a learn costs a few array reads (a simulated validation
 * makes about 5·10^8 of them). When origins arrive in time order, as they
 * do in one process, the episodes a drain closes are a prefix of that
 * order; otherwise every open episode is looked at, as before.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";

/** A finished episode: its window of `horizonMs` after the origin has passed. */
export interface EpisodeRecord {
  /** Source member index. */
  readonly source: number;
  /** Heartbeat counter. */
  readonly counter: number;
  /** When the source produced it (nominal ms). */
  readonly originMs: number;
  /** Observers (in this shard) that learned it within the window. */
  readonly learned: number;
  /** Largest propagation time among them (nominal ms; -1 if none). */
  readonly maxPropMs: number;
}

/** Options of {@linkcode EpisodeTracker}. */
export interface EpisodeTrackerOptions {
  /** Window after the origin during which learns count (nominal ms). */
  readonly horizonMs: number;
  /** Only episodes with an origin at or before this time are tracked (so every one can finish). */
  readonly cutoffMs: number;
}

/** One source's open episodes: counter's low bits → (counter, sequence number), -1 when free. */
interface SourceTable {
  mask: number;
  counters: Float64Array;
  seqs: Float64Array;
}

const FIRST_TABLE = 64;
const FIRST_OPEN = 1024;

/** Shard-side aggregation of propagation episodes. */
export class EpisodeTracker {
  readonly #horizonMs: number;
  readonly #cutoffMs: number;
  readonly #tables: (SourceTable | undefined)[] = [];
  // Open episodes by sequence number (slot seq & mask); [#head, #tail) may hold closed ones.
  #mask = FIRST_OPEN - 1;
  #source = new Float64Array(FIRST_OPEN);
  #counter = new Float64Array(FIRST_OPEN);
  #origin = new Float64Array(FIRST_OPEN);
  #learned = new Float64Array(FIRST_OPEN);
  #maxProp = new Float64Array(FIRST_OPEN);
  #isOpen = new Uint8Array(FIRST_OPEN);
  #head = 0;
  #tail = 0;
  #lastOrigin = -Infinity;
  #inOrder = true;
  readonly #pending = new Map<number, number[]>();
  readonly #finished: EpisodeRecord[] = [];
  /** Propagation time of every (observer, episode) learn within the window (nominal ms). */
  readonly propagation: Histogram = new Histogram();

  /** Makes a tracker with a window and a cutoff. */
  constructor(options: EpisodeTrackerOptions) {
    this.#horizonMs = options.horizonMs;
    this.#cutoffMs = options.cutoffMs;
  }

  /** Records that `source` produced heartbeat `counter` at `atMs`. */
  origin(source: number, counter: number, atMs: number): void {
    if (atMs > this.#cutoffMs) return;
    if (this.#find(source, counter) >= 0) return;
    if (this.#tail - this.#head > this.#mask) this.#growOpen();
    const seq = this.#tail++;
    const at = seq & this.#mask;
    this.#source[at] = source;
    this.#counter[at] = counter;
    this.#origin[at] = atMs;
    this.#learned[at] = 0;
    this.#maxProp[at] = -1;
    this.#isOpen[at] = 1;
    if (atMs < this.#lastOrigin) this.#inOrder = false;
    else this.#lastOrigin = atMs;
    this.#index(source, counter, seq);
    if (this.#pending.size === 0) return;
    const key = episodeKey(source, counter);
    const waiting = this.#pending.get(key);
    if (waiting) {
      this.#pending.delete(key);
      for (const t of waiting) this.#count(at, t);
    }
  }

  /** Records that one observer first held counters (fromCounter, toCounter] of `source` at `atMs`. */
  learn(source: number, fromCounter: number, toCounter: number, atMs: number): void {
    if (fromCounter < 0) return; // a join: not a propagation of a known episode
    for (let h = fromCounter + 1; h <= toCounter; h++) {
      const seq = this.#find(source, h);
      if (seq >= 0) this.#count(seq & this.#mask, atMs);
      else if (atMs - this.#horizonMs <= this.#cutoffMs) {
        const key = episodeKey(source, h);
        const list = this.#pending.get(key);
        if (list) list.push(atMs);
        else this.#pending.set(key, [atMs]);
      }
    }
  }

  /** Closes every episode whose window ended by `nowMs` and returns the records closed so far. */
  drain(nowMs: number): EpisodeRecord[] {
    const horizon = this.#horizonMs;
    // In time order the closable episodes are a prefix; otherwise look at every open one.
    const end = this.#inOrder ? this.#head : this.#tail;
    for (let seq = this.#head; seq < this.#tail; seq++) {
      const at = seq & this.#mask;
      if (this.#isOpen[at] === 0) continue;
      if (this.#origin[at]! + horizon > nowMs) {
        if (seq >= end) break;
        continue;
      }
      this.#close(seq, at);
    }
    while (this.#head < this.#tail && this.#isOpen[this.#head & this.#mask] === 0) this.#head++;
    if (this.#head === this.#tail) {
      this.#lastOrigin = -Infinity;
      this.#inOrder = true;
    }
    // Learns whose origin never came within a window are dropped (their source was not tracked).
    for (const [key, times] of this.#pending) {
      if (times[0]! + horizon < nowMs) this.#pending.delete(key);
    }
    return this.#finished.splice(0);
  }

  #close(seq: number, at: number): void {
    this.#isOpen[at] = 0;
    const source = this.#source[at]!;
    const counter = this.#counter[at]!;
    const table = this.#tables[source]!;
    const i = counter & table.mask;
    if (table.seqs[i] === seq) table.seqs[i] = -1;
    this.#finished.push({
      source,
      counter,
      originMs: this.#origin[at]!,
      learned: this.#learned[at]!,
      maxPropMs: this.#maxProp[at]!,
    });
  }

  /** The sequence number of the open episode (source, counter), or -1. */
  #find(source: number, counter: number): number {
    const table = this.#tables[source];
    if (table === undefined) return -1;
    const i = counter & table.mask;
    return table.counters[i] === counter ? table.seqs[i]! : -1;
  }

  #index(source: number, counter: number, seq: number): void {
    let table = this.#tables[source];
    if (table === undefined) this.#tables[source] = table = newTable(FIRST_TABLE);
    while (table.seqs[counter & table.mask]! >= 0) table = this.#growTable(source, table);
    const i = counter & table.mask;
    table.counters[i] = counter;
    table.seqs[i] = seq;
  }

  /** Doubles a source's table until its open episodes sit in distinct places. */
  #growTable(source: number, old: SourceTable): SourceTable {
    let size = 2 * (old.mask + 1);
    for (;;) {
      const table = newTable(size);
      let clash = false;
      for (let i = 0; i <= old.mask && !clash; i++) {
        if (old.seqs[i]! < 0) continue;
        const j = old.counters[i]! & table.mask;
        if (table.seqs[j]! >= 0) clash = true;
        table.counters[j] = old.counters[i]!;
        table.seqs[j] = old.seqs[i]!;
      }
      if (!clash) return this.#tables[source] = table;
      size *= 2;
    }
  }

  #growOpen(): void {
    const size = 2 * (this.#mask + 1);
    const mask = size - 1;
    const move = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      for (let seq = this.#head; seq < this.#tail; seq++) b[seq & mask] = a[seq & this.#mask]!;
      return b;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.#source = move(this.#source, f64);
    this.#counter = move(this.#counter, f64);
    this.#origin = move(this.#origin, f64);
    this.#learned = move(this.#learned, f64);
    this.#maxProp = move(this.#maxProp, f64);
    this.#isOpen = move(this.#isOpen, (n) => new Uint8Array(n));
    this.#mask = mask;
  }

  #count(at: number, atMs: number): void {
    const prop = atMs - this.#origin[at]!;
    if (prop > this.#horizonMs) return;
    this.#learned[at]!++;
    if (prop > this.#maxProp[at]!) this.#maxProp[at] = prop;
    this.propagation.record(prop);
  }
}

function newTable(size: number): SourceTable {
  return { mask: size - 1, counters: new Float64Array(size).fill(-1), seqs: new Float64Array(size).fill(-1) };
}

const COUNTER_SPAN = 2 ** 30;

function episodeKey(source: number, counter: number): number {
  return source * COUNTER_SPAN + counter;
}
