/**
 * The pool mode's wait loop of a `UdpSocketSet` (the default): one
 * `epoll_wait` at a time as a `nonblocking` FFI call, blocking on Deno's
 * thread pool so the event loop stays free; when it resolves, every ready
 * socket is drained on the JS thread and the queued sends are flushed, then
 * the set re-polls synchronously (timeout 0) while that finds more, within
 * `repollBudgetUs`, before going back to the pool. With `coalesceUs`, close
 * wakeups switch it to sleeping `coalesceUs` on the pool and polling
 * synchronously until a poll finds nothing. Private to `harness/net/`.
 *
 * @module
 */

import { type Epoll, WAKE } from "./_epoll.ts";
import { EPOLL_EVENT_SIZE, type Libc } from "./_libc.ts";
import type { Receiver } from "./_receiver.ts";
import type { SendQueue } from "./_send_queue.ts";
import type { SocketTable } from "./_socket_table.ts";

/** The loop's knobs (µs; 0 turns each off). */
export interface PoolTuning {
  readonly coalesceUs: number;
  readonly repollBudgetUs: number;
}

/** Waits for readiness on the thread pool; keeps the wait totals. */
export class PoolLoop {
  /** Blocking `epoll_wait` calls that returned. */
  wakeups = 0;
  /** Coalescing sleeps. */
  sleeps = 0;
  /** Synchronous polls after a sleep that found nothing. */
  emptyPolls = 0;
  /** Synchronous re-polls after a dispatch that found more to read. */
  syncPolls = 0;

  readonly #libc: Libc;
  readonly #epoll: Epoll;
  readonly #table: SocketTable;
  readonly #receiver: Receiver;
  readonly #queue: SendQueue;
  readonly #tuning: PoolTuning;

  /** A loop over `epoll`'s sockets. */
  constructor(
    libc: Libc,
    epoll: Epoll,
    table: SocketTable,
    receiver: Receiver,
    queue: SendQueue,
    tuning: PoolTuning,
  ) {
    this.#libc = libc;
    this.#epoll = epoll;
    this.#table = table;
    this.#receiver = receiver;
    this.#queue = queue;
    this.#tuning = tuning;
  }

  /** Runs until the set closes (or a handler throws). */
  async run(): Promise<void> {
    const libc = this.#libc, table = this.#table, receiver = this.#receiver, queue = this.#queue;
    const { fd: epfd, events, maxEvents, u32, eventsOff } = this.#epoll;
    const coalesce = this.#tuning.coalesceUs;
    const busyGapMs = (4 * coalesce) / 1000;
    const budgetMs = this.#tuning.repollBudgetUs / 1000;
    let failures = 0;
    let busy = false;
    let lastWake = -Infinity;
    while (!table.closing) {
      let n: number;
      if (busy) {
        await libc.usleep(coalesce);
        if (table.closing) return;
        this.sleeps++;
        n = libc.epoll_poll(epfd, events, maxEvents, 0);
        if (n <= 0) {
          this.emptyPolls++;
          busy = false;
          continue;
        }
      } else {
        n = await libc.epoll_wait(epfd, events, maxEvents, -1);
        if (table.closing) return;
        if (n < 0) {
          // errno is the pool thread's, unreadable here: EINTR is the only expected failure.
          if (++failures > 1000) throw new Error("epoll_wait keeps failing");
          continue;
        }
        failures = 0;
        this.wakeups++;
        if (coalesce > 0) {
          const now = performance.now();
          busy = now - lastWake < busyGapMs;
          lastWake = now;
        }
      }
      // Dispatch, then re-poll synchronously while that finds more (what
      // arrived during the dispatch), within a time budget before yielding.
      const deadline = budgetMs > 0 ? performance.now() + budgetMs : 0;
      for (;;) {
        // Inline (also in _reactor_loop.ts): a shared helper here cost ~3% CPU per datagram at one per wakeup.
        for (let i = 0; i < n; i++) {
          const at = (eventsOff + i * EPOLL_EVENT_SIZE + 4) >> 2;
          const handle = u32[at]!;
          if (handle === WAKE) continue;
          if (handle >= table.capacity || table.gens[handle] !== u32[at + 1]) continue; // closed since
          receiver.drain(handle);
          if (table.closing) return;
        }
        queue.flush();
        if (budgetMs === 0 || performance.now() >= deadline) break;
        n = libc.epoll_poll(epfd, events, maxEvents, 0);
        if (n <= 0) break;
        this.syncPolls++;
      }
    }
  }
}
