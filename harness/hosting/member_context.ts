/**
 * The {@linkcode MemberContext} of a harness-hosted member, built in this
 * one place for the shard host and the simulator: the same seed per member
 * and restart generation, the same topology lookup, catastrophe broadcast
 * address and episode hooks.
 *
 * @module
 */

import type { MemberContext } from "../../lib/core/kind.ts";
import type { MemberId } from "../../lib/core/member_id.ts";
import { deriveSeed, seededPrng } from "../../lib/core/prng.ts";
import type { MemberLevels } from "./shard_protocol.ts";

/** What {@linkcode memberContext} builds a member's context from. */
export interface MemberContextOptions {
  /** The run's seed. */
  readonly seed: number;
  /** The member's global index. */
  readonly index: number;
  /** 0 for the first detector, k after the k-th restart. */
  readonly generation: number;
  /** Nominal time the detector starts. */
  readonly startMs: number;
  /** Every member's public address, by global index. */
  readonly publicIds: readonly MemberId[];
  /** Public address → global index. */
  readonly indexOf: ReadonlyMap<MemberId, number>;
  /** Multi-level topology, or null. */
  readonly levels: MemberLevels | null;
  /** Catastrophe recovery's exponent and report delay, or null. */
  readonly catastrophe: { readonly exponent: number; readonly reportAfterMs: number } | null;
  /** The proxy's broadcast address, when there is one. */
  readonly broadcastId?: MemberId | undefined;
  /** Heartbeat origins of this member (propagation episodes), when measured. */
  readonly onHeartbeat?: ((counter: number, atMs: number) => void) | undefined;
  /** Heartbeats this member learned, the source as a global index (unknown addresses are left out). */
  readonly onLearn?: ((source: number, from: number, to: number, atMs: number) => void) | undefined;
}

/** The seed of member `index`'s detector in restart generation `generation`. */
export function memberSeed(seed: number, index: number, generation: number): number {
  return generation === 0
    ? deriveSeed(seed, "member", index)
    : deriveSeed(seed, "member", index, "restart", generation);
}

/** Builds a member's context (see {@linkcode MemberContextOptions}). */
export function memberContext(o: MemberContextOptions): MemberContext {
  const { levels, indexOf, onLearn } = o;
  const ids = o.publicIds;
  const first = ids[0] ?? 0;
  return {
    self: o.publicIds[o.index]!,
    members: o.publicIds,
    rng: seededPrng(memberSeed(o.seed, o.index, o.generation)),
    startMs: o.startMs,
    ...(levels
      ? {
        levelOf: (id: number) => {
          const i = indexOf.get(id);
          return i === undefined ? undefined : { domain: levels.domain[i]!, subnet: levels.subnet[i]! };
        },
      }
      : {}),
    ...(o.catastrophe && o.broadcastId !== undefined
      ? { catastrophe: { broadcastAddress: o.broadcastId, ...o.catastrophe } }
      : {}),
    ...(o.onHeartbeat ? { onHeartbeat: o.onHeartbeat } : {}),
    ...(onLearn
      ? {
        onLearn: (source: number, from: number, to: number, atMs: number) => {
          // Contiguous addresses (a simulated run's) need no map lookup.
          const k = source - first;
          const s = k >= 0 && k < ids.length && ids[k] === source ? k : indexOf.get(source);
          if (s !== undefined) onLearn(s, from, to, atMs);
        },
      }
      : {}),
  };
}
