/**
 * The epoll instance of a `UdpSocketSet`, with the `eventfd` that
 * wakes its pending wait at close. Each socket is registered for `EPOLLIN`
 * with its handle and generation as event data (the wake fd with
 * {@linkcode WAKE}), so the wait loops can skip events of sockets closed
 * since. Private to `harness/net/`.
 *
 * @module
 */

import type { FfiLayout } from "./_ffi_layout.ts";
import {
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_EVENT_SIZE,
  EPOLLIN,
  type Libc,
} from "./_libc.ts";
import { SocketError } from "./socket_error.ts";

/** The event data (low word) of the wake eventfd: no socket has this handle. */
export const WAKE = 0xffffffff;

/** An epoll fd and its wake eventfd. */
export class Epoll {
  /** The epoll fd. */
  readonly fd: number;
  /** The array each wait fills (`epoll_event`s). */
  readonly events: Uint8Array<ArrayBuffer>;
  /** Its length in events. */
  readonly maxEvents: number;
  /** The layout's buffer as u32: the data of event `i` is at word `(eventsOff + i * EPOLL_EVENT_SIZE + 4) >> 2`. */
  readonly u32: Uint32Array;
  /** Offset of {@linkcode events} in that buffer. */
  readonly eventsOff: number;
  readonly #libc: Libc;
  readonly #wakefd: number;
  readonly #event: Uint8Array<ArrayBuffer>;
  readonly #wakeValue: Uint8Array<ArrayBuffer>;

  /**
   * Creates the epoll fd and the eventfd, and registers the latter; closes
   * what it opened and throws {@linkcode SocketError} on failure. The
   * layout's `events` hold `maxEvents` events; its scratch an `epoll_event`
   * and the eventfd's u64.
   */
  constructor(libc: Libc, errno: () => number, layout: FfiLayout, maxEvents: number) {
    this.#libc = libc;
    this.events = layout.events;
    this.maxEvents = maxEvents;
    this.u32 = layout.u32;
    this.eventsOff = layout.eventsOff;
    this.#event = layout.epollEvent;
    this.#wakeValue = layout.wakeValue;
    this.fd = libc.epoll_create1(EPOLL_CLOEXEC);
    if (this.fd < 0) throw new SocketError("epoll_create1", errno());
    this.#wakefd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wakefd < 0) {
      const e = errno();
      libc.close(this.fd);
      throw new SocketError("eventfd", e);
    }
    if (!this.add(this.#wakefd, WAKE, 0)) {
      const e = errno();
      libc.close(this.#wakefd);
      libc.close(this.fd);
      throw new SocketError("epoll_ctl", e);
    }
  }

  /** Registers `fd` for `EPOLLIN` with event data `lo`, `hi`; false on failure (errno set). */
  add(fd: number, lo: number, hi: number): boolean {
    const v = new DataView(this.#event.buffer, this.#event.byteOffset, EPOLL_EVENT_SIZE);
    v.setUint32(0, EPOLLIN, true);
    v.setUint32(4, lo, true);
    v.setUint32(8, hi, true);
    return this.#libc.epoll_ctl(this.fd, EPOLL_CTL_ADD, fd, this.#event) === 0;
  }

  /** Unregisters `fd`. */
  remove(fd: number): void {
    this.#libc.epoll_ctl(this.fd, EPOLL_CTL_DEL, fd, this.#event);
  }

  /** Makes the pending (or next) wait return. */
  wake(): void {
    const one = new DataView(this.#wakeValue.buffer, this.#wakeValue.byteOffset, 8);
    one.setUint32(0, 1, true);
    this.#libc.write(this.#wakefd, this.#wakeValue, 8n);
  }

  /** Closes the eventfd and the epoll fd. */
  close(): void {
    this.#libc.close(this.#wakefd);
    this.#libc.close(this.fd);
  }
}
