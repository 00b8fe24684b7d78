/**
 * The error a `UdpSocketSet` throws (or rejects with) when a libc
 * call fails.
 *
 * @module
 */

import { errnoName } from "./_libc.ts";

/** A libc call failed. */
export class SocketError extends Error {
  /** The `errno` value. */
  readonly errno: number;
  /**
   * Creates the error.
   * @param call The failing call.
   * @param errno Its errno.
   */
  constructor(call: string, errno: number) {
    super(`${call} failed: ${errnoName(errno)}`);
    this.name = "SocketError";
    this.errno = errno;
  }
}
