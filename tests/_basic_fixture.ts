// The three-member basic detector the basic-gossip and dissemination tests start from.
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import type { BasicGossipOptions } from "../lib/basic/options.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";

export const A = loopbackId(7001);
export const B = loopbackId(7002);
export const C = loopbackId(7003);
/** T_gossip 1 s, T_fail 10 s, T_cleanup 20 s. */
export const T = { tGossipMs: 1000, tFailMs: 10_000, tCleanupMs: 20_000 };

/** Member A of {A, B, C}, seed 1, starting at 0, with `overrides`. */
export function detector(overrides: Partial<BasicGossipOptions> = {}) {
  return createBasicGossipDetector({ self: A, members: [A, B, C], ...T, rng: seededPrng(1), startMs: 0, ...overrides });
}
