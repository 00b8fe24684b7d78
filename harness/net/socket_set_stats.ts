/**
 * The counters a `UdpSocketSet` keeps: per socket and per set.
 *
 * @module
 */

/** Counters of one socket. */
export interface SocketStats {
  /** Bound port. */
  readonly port: number;
  /** Datagrams delivered to a handler. */
  readonly recvDatagrams: number;
  /** Their bytes. */
  readonly recvBytes: number;
  /** Datagrams the kernel took. */
  readonly sentDatagrams: number;
  /** Bytes the kernel took (sum of `msg_len`). */
  readonly sentBytes: number;
  /** Sends refused with EAGAIN/ENOBUFS, dropped. */
  readonly sendDropped: number;
  /** Sends refused with another error. */
  readonly sendErrors: number;
  /** Datagrams longer than `maxDatagram`, dropped. */
  readonly truncated: number;
  /** The kernel's cumulative receive drop count, as last reported by `SO_RXQ_OVFL`. */
  readonly kernelDrops: number;
}

/** Totals of a set. */
export interface SocketSetStats {
  /** Open sockets. */
  readonly sockets: number;
  /** Blocking `epoll_wait` calls that returned (one pool round trip and event-loop turn each). */
  readonly wakeups: number;
  /** Coalescing sleeps (one pool round trip each), each followed by a synchronous poll. */
  readonly sleeps: number;
  /** Synchronous polls after a sleep that found nothing (back to blocking). */
  readonly emptyPolls: number;
  /** Synchronous re-polls after a dispatch that found more to read (each saved a pool round trip). */
  readonly syncPolls: number;
  /** `recvmmsg` calls. */
  readonly recvCalls: number;
  /** Datagrams received (delivered or not). */
  readonly recvDatagrams: number;
  /** Their bytes. */
  readonly recvBytes: number;
  /** Datagrams received on a socket with no handler. */
  readonly unhandled: number;
  /** Datagrams longer than `maxDatagram`, dropped. */
  readonly truncated: number;
  /** `recvmmsg` failures other than EAGAIN. */
  readonly recvErrors: number;
  /** `sendmmsg` calls. */
  readonly sendCalls: number;
  /** Datagrams the kernel took. */
  readonly sentDatagrams: number;
  /** Bytes the kernel took. */
  readonly sentBytes: number;
  /** Sends refused with EAGAIN/ENOBUFS, dropped. */
  readonly sendDropped: number;
  /** Sends refused with another error (or queued on a socket closed before the flush). */
  readonly sendErrors: number;
  /** Flushes that sent something. */
  readonly flushes: number;
}
