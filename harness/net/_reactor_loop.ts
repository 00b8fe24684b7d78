/**
 * The reactor mode's wait loop of a `UdpSocketSet` (see
 * `UdpSocketSetOptions.reactor`): timers and readiness in one synchronous
 * `epoll_pwait2` on the set's own thread, with a nanosecond timeout until
 * the owner's next timer deadline; it drains what is ready, runs the due
 * timers, flushes the sends, and yields to the event loop every `sliceMs`
 * (when no timer is imminent) so messages and other timers still run.
 * Private to `harness/net/`.
 *
 * @module
 */

import { type Epoll, WAKE } from "./_epoll.ts";
import { EPOLL_EVENT_SIZE, type Libc } from "./_libc.ts";
import type { Receiver } from "./_receiver.ts";
import type { SendQueue } from "./_send_queue.ts";
import type { SocketTable } from "./_socket_table.ts";
import type { Reactor } from "./socket_set_options.ts";

/** Waits for readiness and timers on this thread; counts the waits that found sockets ready. */
export class ReactorLoop {
  /** `epoll_pwait2` calls that returned ready sockets. */
  wakeups = 0;

  readonly #libc: Libc;
  readonly #epoll: Epoll;
  readonly #table: SocketTable;
  readonly #receiver: Receiver;
  readonly #queue: SendQueue;
  readonly #reactor: Reactor;

  /** A loop over `epoll`'s sockets and `reactor`'s timers. */
  constructor(
    libc: Libc,
    epoll: Epoll,
    table: SocketTable,
    receiver: Receiver,
    queue: SendQueue,
    reactor: Reactor,
  ) {
    this.#libc = libc;
    this.#epoll = epoll;
    this.#table = table;
    this.#receiver = receiver;
    this.#queue = queue;
    this.#reactor = reactor;
  }

  /** Runs until the set closes (or a handler or timer throws). */
  async run(): Promise<void> {
    const libc = this.#libc, table = this.#table, receiver = this.#receiver, queue = this.#queue;
    const { fd: epfd, events, maxEvents, u32, eventsOff } = this.#epoll;
    const reactor = this.#reactor;
    const origin = performance.timeOrigin;
    const timespecBytes = new Uint8Array(16);
    const timespec = new DataView(timespecBytes.buffer);
    // Start after the caller's synchronous code (e.g. the other sockets' listen calls), never inside it.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    let sliceStart = performance.now();
    while (!table.closing) {
      const now = performance.now();
      // Read at every wait: the owner may lengthen it for a while (a load generator's measured step).
      const slice = reactor.sliceMs ?? 10;
      const sliceEnd = sliceStart + slice;
      // Yield when the slice is over, if no timer is due within 2 ms (a yield can take a millisecond or two);
      // never let a busy timer schedule hold messages back for more than two slices.
      if (now >= sliceEnd && (reactor.nextDeadline() - origin - now > 2 || now >= sliceEnd + slice)) {
        // Let messages, other timers and promises run, then go on. A zero-timeout epoll_wait on Deno's blocking
        // pool is the yield: while it is out, the event loop polls its own I/O (requests on stdin, TCP) and runs
        // due timers, and it comes back in tens of µs; setTimeout(0) would cost ~2 ms (the timer's clamp), which
        // held every datagram that arrived meanwhile (epoll is level-triggered: nothing is lost by this poll).
        await libc.epoll_wait(epfd, events, maxEvents, 0);
        if (table.closing) return;
        sliceStart = performance.now();
        continue;
      }
      const until = Math.min(reactor.nextDeadline() - origin, Math.max(sliceEnd, now + 0.2));
      // A nanosecond timeout: waking on the millisecond would make every timer up to 1 ms late.
      const waitNs = Math.max(0, Math.round((until - performance.now()) * 1e6));
      timespec.setBigInt64(0, BigInt(Math.floor(waitNs / 1e9)), true);
      timespec.setBigInt64(8, BigInt(waitNs % 1e9), true);
      const n = libc.epoll_pwait2(epfd, events, maxEvents, timespecBytes, null);
      if (n > 0) {
        this.wakeups++;
        for (let i = 0; i < n; i++) {
          const at = (eventsOff + i * EPOLL_EVENT_SIZE + 4) >> 2;
          const handle = u32[at]!;
          if (handle === WAKE) continue;
          if (handle >= table.capacity || table.gens[handle] !== u32[at + 1]) continue; // closed since
          receiver.drain(handle);
          if (table.closing) return;
        }
      }
      reactor.runDue();
      queue.flush();
    }
  }
}
