/**
 * A self-correcting timer for many members in one event loop: one min-heap
 * of deadlines and one `setTimeout` armed for the earliest. Each member has
 * at most one pending deadline; rescheduling replaces it. Every wake-up's
 * lateness (actual minus scheduled) goes into a histogram, the harness's
 * own noise floor.
 *
 * @module
 */

import { Histogram } from "../lib/histogram.ts";
import { absNowMs } from "./clock.ts";

interface Slot {
  at: number;
  key: number;
  version: number;
}

/** Deadline scheduler for a shard of members. */
export class Scheduler {
  readonly #heap: Slot[] = [];
  readonly #versions: number[] = [];
  readonly #due: (key: number) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedAt = Infinity;
  #stopped = false;
  /** Lateness of every wake-up, in real milliseconds. */
  readonly lateness = new Histogram();
  /** Lateness since the owner last reset it (for per-interval reports). */
  readonly intervalLateness = new Histogram();

  /** `due(key)` runs when a key's deadline (absolute epoch ms) arrives. */
  constructor(due: (key: number) => void) {
    this.#due = due;
  }

  /** Sets `key`'s deadline to `atAbsMs`, replacing any earlier one. */
  schedule(key: number, atAbsMs: number): void {
    if (this.#stopped) return;
    const version = (this.#versions[key] ?? 0) + 1;
    this.#versions[key] = version;
    this.#push({ at: atAbsMs, key, version });
    if (atAbsMs < this.#armedAt) this.#arm();
  }

  /** Forgets `key`'s deadline. */
  cancel(key: number): void {
    this.#versions[key] = (this.#versions[key] ?? 0) + 1;
  }

  /** Stops every timer. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.length = 0;
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const top = this.#heap[0];
    if (!top || this.#stopped) return;
    this.#armedAt = top.at;
    // setTimeout counts whole milliseconds; round up so the wake is not early.
    const delay = Math.max(0, Math.ceil(top.at - absNowMs()));
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = absNowMs();
    // Run everything due. Never early: a detector handed a time before its
    // deadline does nothing and asks for the same deadline again (a spin).
    while (
      this.#heap.length > 0 && this.#heap[0]!.at <= now && !this.#stopped
    ) {
      const slot = this.#pop()!;
      if (this.#versions[slot.key] !== slot.version) continue;
      const late = absNowMs() - slot.at;
      this.lateness.record(late);
      this.intervalLateness.record(late);
      this.#due(slot.key);
    }
    this.#arm();
  }

  #push(slot: Slot): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= slot.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): Slot | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
