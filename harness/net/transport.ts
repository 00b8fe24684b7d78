/**
 * The transport seam between a member host and the network. Best effort,
 * like UDP: a send may be lost and nothing is retried.
 *
 * @module
 */

import type { MemberId } from "../../lib/core/member_id.ts";

/**
 * Called for every datagram received. `bytes` is only valid during the call
 * (transports receive into a reused buffer).
 */
export type PacketHandler = (from: MemberId, bytes: Uint8Array) => void;

/** One member's datagram endpoint. */
export interface Transport extends AsyncDisposable {
  /** The port the member's socket is bound to. */
  readonly localPort: number;
  /**
   * Sends one datagram and resolves to the number of bytes the socket took
   * (what the harness counts as sent).
   */
  send(to: MemberId, bytes: Uint8Array): Promise<number>;
  /** Starts delivering datagrams to `handler`; call once. */
  listen(handler: PacketHandler): void;
  /** Closes the socket; pending receives end. */
  close(): Promise<void>;
}
