/**
 * The slice of libc that `ffi_udp.ts` and its parts need, through
 * `Deno.dlopen`, with x86_64 Linux constants and struct layouts. Private to
 * `harness/net/`.
 *
 * The library is opened once per isolate and reference-counted: the last
 * {@linkcode releaseLibc} closes it (Deno's resource sanitizer sees an open
 * library as a leaked resource). It must never be closed while a
 * `nonblocking` call is pending, so callers release only after their
 * pending `epoll_wait` has returned.
 *
 * @module
 */

/** The symbols used. Return values of `ssize_t` functions are read as i32 (they never exceed 2^31 here). */
const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  recvmmsg: { parameters: ["i32", "pointer", "u32", "i32", "pointer"], result: "i32" },
  sendmmsg: { parameters: ["i32", "pointer", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** Blocks on Deno's blocking thread pool; resolves to the number of events. */
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  /** The same function called synchronously (timeout 0: a poll). */
  epoll_poll: { name: "epoll_wait", parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  /** Waits on the calling thread with a nanosecond timeout (`struct timespec *`; null waits forever). */
  epoll_pwait2: { parameters: ["i32", "buffer", "i32", "buffer", "pointer"], result: "i32" },
  /** Sleeps on Deno's blocking thread pool (the coalescing delay). */
  usleep: { parameters: ["u32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
let users = 0;

/** Opens libc (or takes another reference to it). Needs `--allow-ffi`. */
export function acquireLibc(): Libc {
  if (!library) library = Deno.dlopen("libc.so.6", SYMBOLS);
  users++;
  return library.symbols;
}

/** Drops a reference taken by {@linkcode acquireLibc}; the last one closes the library. */
export function releaseLibc(): void {
  if (users === 0) return;
  if (--users === 0) {
    library!.close();
    library = undefined;
  }
}

/**
 * Reads this thread's `errno` (call right after the failing call, on the
 * same thread: it is thread-local, so not meaningful for `nonblocking` calls).
 */
export function errnoReader(libc: Libc): () => number {
  const view = new Deno.UnsafePointerView(libc.__errno_location()!);
  return () => view.getInt32(0);
}

/** The address of a buffer's first byte, as a number (exact below 2^53). */
export function addressOf(bytes: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes as Uint8Array<ArrayBuffer>)));
}

// Constants (x86_64 Linux).
export const AF_INET = 2;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RXQ_OVFL = 40;
export const EPOLLIN = 1;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const MSG_CTRUNC = 0x08;

// errno values.
export const EPERM = 1;
export const EINTR = 4;
export const EBADF = 9;
export const EAGAIN = 11;
export const EACCES = 13;
export const EINVAL = 22;
export const EMFILE = 24;
export const EMSGSIZE = 90;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENOBUFS = 105;
export const ECONNREFUSED = 111;

const ERRNO_NAMES: Record<number, string> = {
  [EPERM]: "EPERM",
  [EINTR]: "EINTR",
  [EBADF]: "EBADF",
  [EAGAIN]: "EAGAIN",
  [EACCES]: "EACCES",
  [EINVAL]: "EINVAL",
  [EMFILE]: "EMFILE",
  23: "ENFILE",
  [EMSGSIZE]: "EMSGSIZE",
  [EADDRINUSE]: "EADDRINUSE",
  [EADDRNOTAVAIL]: "EADDRNOTAVAIL",
  [ENOBUFS]: "ENOBUFS",
  [ECONNREFUSED]: "ECONNREFUSED",
};

/** `EAGAIN (11)`, or `errno 77`. */
export function errnoName(errno: number): string {
  const name = ERRNO_NAMES[errno];
  return name ? `${name} (${errno})` : `errno ${errno}`;
}

// Struct layouts (x86_64 Linux), byte sizes and offsets.
export const SOCKADDR_IN_SIZE = 16;
export const IOVEC_SIZE = 16;
/** `struct mmsghdr`: a 56-byte msghdr, `unsigned msg_len`, 4 bytes of padding. */
export const MMSGHDR_SIZE = 64;
export const MSG_NAME = 0;
export const MSG_NAMELEN = 8;
export const MSG_IOV = 16;
export const MSG_IOVLEN = 24;
export const MSG_CONTROL = 32;
export const MSG_CONTROLLEN = 40;
export const MSG_FLAGS = 48;
export const MSG_LEN = 56;
/** `struct epoll_event` is packed on x86_64: u32 events, u64 data. */
export const EPOLL_EVENT_SIZE = 12;
/** `struct cmsghdr`: size_t len, int level, int type, then data. */
export const CMSG_DATA = 16;
/** `CMSG_SPACE(sizeof(uint32_t))`, rounded up. */
export const CMSG_SPACE_U32 = 24;
