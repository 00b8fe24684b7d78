/**
 * Options of the basic gossip detector and its variants: the gossip style
 * (push, pull, push-pull, digest), multi-level targets, catastrophe
 * recovery and phi accrual decisions.
 *
 * @module
 */

import type { MemberId } from "../core/member_id.ts";
import type { Prng } from "../core/prng.ts";
import type { CatastropheOptions } from "./catastrophe.ts";
import type { PhiOptions } from "./phi.ts";
import type { Topology } from "./topology.ts";

/** Options of `createBasicGossipDetector`. */
export interface BasicGossipOptions {
  /** This member's public address. */
  readonly self: MemberId;
  /** Members known at start (may include `self`). */
  readonly members: readonly MemberId[];
  /** Gossip period (ms). */
  readonly tGossipMs: number;
  /** Silence after which a member is declared failed (ms). */
  readonly tFailMs: number;
  /** Age after which a failed member's entry is dropped (ms); >= tFailMs. */
  readonly tCleanupMs: number;
  /** Seeded randomness for the gossip phase and target choice. */
  readonly rng: Prng;
  /** Time the detector starts (ms); initial entries count as fresh then. */
  readonly startMs: number;
  /**
   * Called when this member learns newer heartbeats of `source`: every
   * counter in (`fromCounter`, `toCounter`] was first held at `nowMs`
   * (`fromCounter` is -1 when the member was unknown until now).
   * Used by the harness to measure propagation; absent by default.
   */
  readonly onLearn?: (
    source: MemberId,
    fromCounter: number,
    toCounter: number,
    nowMs: number,
  ) => void;
  /**
   * Called when this member increments its own heartbeat to `counter` at
   * `nowMs`: the origin of a propagation episode. Absent by default.
   */
  readonly onHeartbeat?: (counter: number, nowMs: number) => void;
  /** Decide failures by phi accrual instead of the fixed T_fail. Absent by default. */
  readonly phi?: PhiOptions;
  /** How a gossip exchanges state. @default {"push"} */
  readonly style?: DisseminationStyle;
  /** Multi-level target choice; absent: uniform over every live member. */
  readonly topology?: Topology;
  /** Catastrophe recovery broadcasts and late reports; absent: off. */
  readonly catastrophe?: CatastropheOptions;
  /**
   * The group is closed: only the members of `members` are ever admitted.
   * Entries about anyone else are ignored, and so is every datagram whose
   * sender is not a member (no state change, no reply). For deployments
   * that know every member at start (the harness does): an unknown id in
   * gossip is then hostile, not a join. Whatever this says, a member never
   * holds more entries than one datagram can carry (`MAX_ENTRIES`, self
   * included): entries about new members beyond that are ignored.
   * @default {false}
   */
  readonly closedGroup?: boolean;
}

/** The dissemination styles of the lectures (`gossip-fd.md` section 6). */
export const DISSEMINATION_STYLES = ["push", "pull", "push-pull", "digest"] as const;
/**
 * How one gossip exchanges state with its target:
 * - `push`: send the whole list (the paper; one datagram);
 * - `pull`: send an empty request, the target answers with its list;
 * - `push-pull`: send the list, the target merges it and answers with its own;
 * - `digest`: send a (member, counter) digest; the target answers with the
 *   entries it holds newer plus requests for those the digest shows newer;
 *   the sender answers the requests (three datagrams, Cassandra's shape).
 */
export type DisseminationStyle = typeof DISSEMINATION_STYLES[number];
