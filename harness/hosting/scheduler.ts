/**
 * A self-correcting timer for many members in one event loop: one min-heap
 * of deadlines and one `setTimeout` armed for the earliest. Each member has
 * at most one pending deadline; rescheduling replaces it. Every wake-up's
 * lateness (actual minus scheduled) goes into a histogram, the harness's
 * own noise floor.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { MinHeap } from "../../lib/core/_min_heap.ts";
import { absNowMs } from "../os/clock.ts";

interface Slot {
  at: number;
  key: number;
  version: number;
}

/** Deadline scheduler for a shard of members. */
export class Scheduler {
  readonly #heap = new MinHeap<Slot>((a, b) => a.at < b.at);
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
    this.#heap.push({ at: atAbsMs, key, version });
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
    this.#heap.clear();
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const top = this.#heap.peek();
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
      this.#heap.size > 0 && this.#heap.peek()!.at <= now && !this.#stopped
    ) {
      const slot = this.#heap.pop()!;
      if (this.#versions[slot.key] !== slot.version) continue;
      const late = absNowMs() - slot.at;
      this.lateness.record(late);
      this.intervalLateness.record(late);
      this.#due(slot.key);
    }
    this.#arm();
  }
}
