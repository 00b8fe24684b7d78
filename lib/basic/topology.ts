/**
 * Multi-level gossip targets (van Renesse et al. 1998, section 4): members
 * sit in domains of subnets; at each gossip a member picks another domain
 * with probability 1/(n m), another subnet of its domain with probability
 * 1/n, else its own subnet (n its subnet's size, m its domain's subnets).
 *
 * @module
 */

import type { MemberId } from "../core/member_id.ts";
import { type Prng, randomIndex } from "../core/prng.ts";

/** Where members sit: domains of subnets of hosts (paper section 4). */
export interface Topology {
  /** A member's domain and subnet (subnet numbers unique across domains); undefined: unknown. */
  readonly levelOf: (id: MemberId) => { readonly domain: number; readonly subnet: number } | undefined;
}

/** Picks one gossip target from the live candidates. */
export type TargetChooser = (targets: readonly MemberId[]) => MemberId;

/**
 * The target rule for `self`: uniform without a topology, else by level.
 * The subnet's size and the domain's subnet count come from `members`.
 */
export function targetChooser(
  self: MemberId,
  members: readonly MemberId[],
  rng: Prng,
  topology: Topology | undefined,
): TargetChooser {
  const home = topology?.levelOf(self);
  if (!topology || !home) return (targets) => targets[randomIndex(rng, targets.length)]!;
  let subnetSize = 1;
  const subnets = new Set<number>([home.subnet]);
  for (const m of members) {
    if (m === self) continue;
    const level = topology.levelOf(m);
    if (level?.subnet === home.subnet) subnetSize++;
    if (level?.domain === home.domain) subnets.add(level.subnet);
  }
  const pFar = 1 / (subnetSize * subnets.size);
  const pDomain = 1 / subnetSize;
  return (targets) => {
    const own: MemberId[] = [];
    const domain: MemberId[] = [];
    const far: MemberId[] = [];
    for (const t of targets) {
      const level = topology.levelOf(t);
      if (level?.subnet === home.subnet) own.push(t);
      else if (level?.domain === home.domain) domain.push(t);
      else far.push(t);
    }
    const u = rng();
    const bucket = u < pFar && far.length > 0
      ? far
      : u < pFar + pDomain && domain.length > 0
      ? domain
      : own.length > 0
      ? own
      : domain.length > 0
      ? domain
      : far;
    return bucket[randomIndex(rng, bucket.length)]!;
  };
}
