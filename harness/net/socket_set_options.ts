/**
 * How a `UdpSocketSet` is configured (its options, the reactor it
 * drives) and how it calls back (datagram and send-error handlers).
 *
 * @module
 */

/** Options of `UdpSocketSet.open`. */
export interface UdpSocketSetOptions {
  /** Datagrams per `recvmmsg` call. @default {64} */
  readonly recvBatch?: number;
  /** Largest datagram received whole; longer ones are counted in `truncated` and dropped. @default {65536} */
  readonly maxDatagram?: number;
  /** Datagrams queued before a send flush is forced. @default {256} */
  readonly sendSlots?: number;
  /** Bytes of queued payload before a send flush is forced (at least `maxDatagram`). @default {1048576} */
  readonly sendArenaBytes?: number;
  /** Events per `epoll_wait`. @default {256} */
  readonly maxEvents?: number;
  /** `SO_RCVBUF` for every socket (the kernel doubles it, capped by `net.core.rmem_max`); 0 keeps the default. @default {0} */
  readonly rcvbufBytes?: number;
  /** Set `SO_RXQ_OVFL` to learn each socket's kernel drop count from received datagrams. @default {true} */
  readonly rxqOverflow?: boolean;
  /** Datagrams read from one socket per wakeup before moving on (fairness). @default {256} */
  readonly maxPerSocketDrain?: number;
  /**
   * Coalescing under load (µs; 0 turns it off). Each `epoll_wait` that
   * blocks costs a round trip through Deno's blocking thread pool (about
   * 5-10 µs of CPU, two thread wakeups). When wakeups come less than
   * `4 × coalesceUs` apart, the set stops blocking in `epoll_wait`: it
   * sleeps `coalesceUs` on the pool, then polls every socket synchronously
   * (timeout 0) and drains what came meanwhile, until a poll finds nothing.
   * So a busy set pays one pool round trip per `coalesceUs` instead of per
   * datagram, and each datagram waits at most `coalesceUs` more. @default {0}
   */
  readonly coalesceUs?: number;
  /**
   * After dispatching what one wait returned, poll again synchronously
   * (timeout 0) while that finds more (datagrams that arrived during the
   * dispatch), for up to this long (µs) before yielding to the event loop.
   * Each hit saves a pool round trip; timers and other I/O wait at most this
   * long (plus one round). 0 turns it off. @default {1000}
   */
  readonly repollBudgetUs?: number;
  /**
   * Runs the set as its thread's reactor: instead of waiting for readiness
   * on Deno's thread pool (a round trip through another thread per wait,
   * which costs more CPU in context switches than the datagram itself at
   * low rates), it waits in `epoll_wait` on its own thread, with a timeout
   * until the owner's next timer deadline, runs those timers itself, and
   * yields to the event loop every `sliceMs` (so messages and other timers
   * still run, at most that late). For a thread that hosts only this set's
   * sockets and their timers (a shard, the proxy). Absent: the pool mode.
   */
  readonly reactor?: Reactor;
  /**
   * Called at flush for every queued datagram the kernel refused (after it
   * was counted in `sendDropped` or `sendErrors`), with the sending socket,
   * the destination port, the errno and the datagram's length: exact per-datagram accounting
   * without a promise per send (e.g. a proxy counting delivered copies per
   * destination).
   */
  readonly onSendError?: SendErrorHandler;
}

/** Timers a reactor-mode set runs (see {@linkcode UdpSocketSetOptions.reactor}). */
export interface Reactor {
  /** The owner's next timer deadline (epoch ms, `performance.timeOrigin + performance.now()`), or Infinity. */
  nextDeadline(): number;
  /** Runs every timer due by now. */
  runDue(): void;
  /**
   * Longest time (ms) between yields to the event loop, read at every wait
   * (so a getter may lengthen it for a while: a yield costs about 2 ms on
   * Deno's timers). @default {10}
   */
  readonly sliceMs?: number;
}

/** See {@linkcode UdpSocketSetOptions.onSendError}; `bytes` is the refused datagram's length. */
export type SendErrorHandler = (handle: number, toPort: number, errno: number, bytes: number) => void;

/**
 * Called for every datagram a set receives. `bytes` is a view into the
 * set's receive batch: valid only during the call. `fromPort` is the
 * source's UDP port when the source address is 127.0.0.1, and 0 for any
 * other (loopback) address, so that a sender on 127.0.0.2 cannot pass for
 * the member whose port it uses.
 */
export type DatagramHandler = (handle: number, fromPort: number, bytes: Uint8Array) => void;

/** A handler for one socket (see `UdpSocketSet.listen`). */
export type SocketHandler = (fromPort: number, bytes: Uint8Array) => void;
