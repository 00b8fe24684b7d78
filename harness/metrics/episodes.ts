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

interface Open {
  originMs: number;
  learned: number;
  maxPropMs: number;
}

/** Options of {@linkcode EpisodeTracker}. */
export interface EpisodeTrackerOptions {
  /** Window after the origin during which learns count (nominal ms). */
  readonly horizonMs: number;
  /** Only episodes with an origin at or before this time are tracked (so every one can finish). */
  readonly cutoffMs: number;
}

/** Shard-side aggregation of propagation episodes. */
export class EpisodeTracker {
  readonly #horizonMs: number;
  readonly #cutoffMs: number;
  readonly #open = new Map<number, Open>();
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
    const key = episodeKey(source, counter);
    if (this.#open.has(key)) return;
    const open: Open = { originMs: atMs, learned: 0, maxPropMs: -1 };
    this.#open.set(key, open);
    const waiting = this.#pending.get(key);
    if (waiting) {
      this.#pending.delete(key);
      for (const t of waiting) this.#count(open, t);
    }
  }

  /** Records that one observer first held counters (fromCounter, toCounter] of `source` at `atMs`. */
  learn(source: number, fromCounter: number, toCounter: number, atMs: number): void {
    if (fromCounter < 0) return; // a join: not a propagation of a known episode
    for (let h = fromCounter + 1; h <= toCounter; h++) {
      const key = episodeKey(source, h);
      const open = this.#open.get(key);
      if (open) this.#count(open, atMs);
      else if (atMs - this.#horizonMs <= this.#cutoffMs) {
        const list = this.#pending.get(key);
        if (list) list.push(atMs);
        else this.#pending.set(key, [atMs]);
      }
    }
  }

  /** Closes every episode whose window ended by `nowMs` and returns the records closed so far. */
  drain(nowMs: number): EpisodeRecord[] {
    for (const [key, open] of this.#open) {
      if (open.originMs + this.#horizonMs > nowMs) continue;
      this.#open.delete(key);
      this.#finished.push({
        source: Math.floor(key / COUNTER_SPAN),
        counter: key % COUNTER_SPAN,
        originMs: open.originMs,
        learned: open.learned,
        maxPropMs: open.maxPropMs,
      });
    }
    // Learns whose origin never came within a window are dropped (their source was not tracked).
    for (const [key, times] of this.#pending) {
      if (times[0]! + this.#horizonMs < nowMs) this.#pending.delete(key);
    }
    return this.#finished.splice(0);
  }

  #count(open: Open, atMs: number): void {
    const prop = atMs - open.originMs;
    if (prop > this.#horizonMs) return;
    open.learned++;
    if (prop > open.maxPropMs) open.maxPropMs = prop;
    this.propagation.record(prop);
  }
}

const COUNTER_SPAN = 2 ** 30;

function episodeKey(source: number, counter: number): number {
  return source * COUNTER_SPAN + counter;
}
