/**
 * Many deadlines in one event loop behind one `setTimeout`: a min-heap of
 * (time, sequence) and a timer armed for the earliest. Due items run in
 * time order (ties in insertion order), never early, and each one's
 * lateness (actual minus due, real ms) is reported. The shard scheduler and
 * the proxy's delay queue both run on it.
 *
 * @module
 */

import { MinHeap } from "../../lib/core/_min_heap.ts";
import { absNowMs } from "./clock.ts";

/** The longest delay `setTimeout` takes without overflowing. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/** A timer queue over epoch-ms deadlines. */
export class DeadlineQueue<T> {
  readonly #heap = new MinHeap<Entry<T>>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  readonly #due: (item: T, latenessMs: number) => void;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedAt = Infinity;
  #stopped = false;
  readonly #manual: boolean;

  /**
   * `due(item, lateness)` runs when an item's deadline arrives. With
   * `manual`, no timer is armed: the owner calls {@linkcode runDue} (a
   * reactor that waits for I/O until {@linkcode nextAt}).
   */
  constructor(due: (item: T, latenessMs: number) => void, options: { manual?: boolean } = {}) {
    this.#due = due;
    this.#manual = options.manual === true;
  }

  /** The earliest deadline (epoch ms), or Infinity. */
  nextAt(): number {
    return this.#heap.peek()?.at ?? Infinity;
  }

  /** Runs every item due by now, in order (what the timer does in the automatic mode). */
  runDue(): void {
    const now = absNowMs();
    while (this.#heap.size > 0 && this.#heap.peek()!.at <= now && !this.#stopped) {
      const { at, item } = this.#heap.pop()!;
      this.#due(item, absNowMs() - at);
    }
  }

  /** Items waiting. */
  get size(): number {
    return this.#heap.size;
  }

  /** Queues `item` for `atAbsMs` (epoch ms). */
  push(atAbsMs: number, item: T): void {
    if (this.#stopped) return;
    this.#heap.push({ at: atAbsMs, seq: this.#seq++, item });
    if (!this.#manual && atAbsMs < this.#armedAt) this.#arm();
  }

  /** Stops the timer and drops every item; returns how many were dropped. */
  stop(): number {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const dropped = this.#heap.size;
    this.#heap.clear();
    return dropped;
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const top = this.#heap.peek();
    if (!top || this.#stopped) return;
    this.#armedAt = top.at;
    // setTimeout counts whole milliseconds; round up so the wake is not early. A wait beyond setTimeout's
    // range (2^31 - 1 ms, about 24.8 days) wakes early and re-arms instead of firing at once.
    this.#timer = setTimeout(() => this.#fire(), Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(top.at - absNowMs()))));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.runDue();
    this.#arm();
  }
}
