/**
 * The sans-IO seam every failure detector implements. A detector never reads
 * a clock, opens a socket or draws from `Math.random`: the caller passes the
 * time and the bytes in, and carries out the sends it returns. The same
 * detector therefore runs on real UDP and in a simulator.
 *
 * Times are milliseconds on the caller's clock (the harness passes nominal
 * time, so a run compressed by a speed-up factor looks normal to the
 * detector).
 *
 * @module
 */

import type { MemberId } from "./member_id.ts";

/** A datagram the caller must send. */
export interface Send {
  /** Destination's public address. */
  readonly to: MemberId;
  /** The whole UDP payload. Owned by the caller from now on. */
  readonly bytes: Uint8Array;
}

/**
 * Something the detector concluded. Kinds follow `metrics.md`:
 * `failed` is an S-transition (starts to consider `member` failed),
 * `suspected` a suspicion that precedes it in detectors that have one (SWIM),
 * `trusted` a T-transition (trusts it again), `joined` a member first heard
 * of, `removed` an entry dropped after T_cleanup.
 */
export interface DetectorEvent {
  /** What happened. */
  readonly kind: DetectorEventKind;
  /** The member the event is about. */
  readonly member: MemberId;
  /** When the detector made the transition (caller's clock). */
  readonly atMs: number;
}

/** The kinds of {@linkcode DetectorEvent}, a closed set. */
export const DETECTOR_EVENT_KINDS = [
  "failed",
  "trusted",
  "joined",
  "removed",
  // Append only: the index is the event's code on the shard channel.
  "suspected",
] as const;
/** One of {@linkcode DETECTOR_EVENT_KINDS}. */
export type DetectorEventKind = typeof DETECTOR_EVENT_KINDS[number];

/** What one call produced. */
export interface Step {
  /** Datagrams to send. */
  readonly sends: readonly Send[];
  /** Transitions made. */
  readonly events: readonly DetectorEvent[];
}

/** A failure detector as a pure state machine (h11 / quinn-proto shape). */
export interface Detector {
  /** This member's own public address. */
  readonly id: MemberId;
  /** Advances to `nowMs`: runs whatever is due (gossip, timeouts). */
  tick(nowMs: number): Step;
  /**
   * Handles one datagram from `from`. Throws `DecodeError` (and changes
   * nothing) when the bytes are malformed; the caller counts and drops it.
   */
  receive(from: MemberId, bytes: Uint8Array, nowMs: number): Step;
  /** When `tick` must next be called, or undefined if never. */
  nextDeadlineMs(): number | undefined;
}

/** A step that did nothing. */
export const EMPTY_STEP: Step = Object.freeze({ sends: [], events: [] });
