/**
 * A self-correcting timer for many members in one event loop: one
 * {@linkcode DeadlineQueue} of member deadlines. Each member has at most one
 * pending deadline; rescheduling replaces it. Every wake-up's lateness
 * (actual minus scheduled) goes into a histogram, the harness's own noise
 * floor.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";
import { DeadlineQueue } from "../os/deadline_queue.ts";

/** Deadline scheduler for a shard of members. */
export class Scheduler {
  readonly #versions: number[] = [];
  readonly #queue: DeadlineQueue<{ key: number; version: number }>;
  /** Lateness of every wake-up, in real milliseconds. */
  readonly lateness = new Histogram();
  /** Lateness since the owner last reset it (for per-interval reports). */
  readonly intervalLateness = new Histogram();

  /**
   * `due(key)` runs when a key's deadline (absolute epoch ms) arrives. With
   * `manual`, a reactor drives it ({@linkcode nextAt}, {@linkcode runDue})
   * instead of a timer.
   */
  constructor(due: (key: number) => void, options: { manual?: boolean } = {}) {
    // Never early: a detector handed a time before its deadline does nothing and asks for the same deadline again.
    this.#queue = new DeadlineQueue(({ key, version }, late) => {
      if (this.#versions[key] !== version) return;
      this.lateness.record(late);
      this.intervalLateness.record(late);
      due(key);
    }, options);
  }

  /** The earliest deadline (epoch ms), or Infinity. */
  nextAt(): number {
    return this.#queue.nextAt();
  }

  /** Runs every deadline due by now. */
  runDue(): void {
    this.#queue.runDue();
  }

  /** Sets `key`'s deadline to `atAbsMs`, replacing any earlier one. */
  schedule(key: number, atAbsMs: number): void {
    const version = (this.#versions[key] ?? 0) + 1;
    this.#versions[key] = version;
    this.#queue.push(atAbsMs, { key, version });
  }

  /** Forgets `key`'s deadline. */
  cancel(key: number): void {
    this.#versions[key] = (this.#versions[key] ?? 0) + 1;
  }

  /** Stops every timer. */
  stop(): void {
    this.#queue.stop();
  }
}
