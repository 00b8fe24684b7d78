import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * Catastrophe recovery (paper section 5): 40 members in one subnet are cut
 * into halves for 2.5 T_fail, long enough that each half declares the other
 * failed and forgets it (T_cleanup = 2 T_fail). Plain gossip never re-merges
 * the halves: nobody gossips to a member it has dropped. With broadcasts
 * (p(t) = (t/20)^a, a set for a 10 s mean) the halves find each other after
 * the heal. Run with and without `catastrophe` (`harness remerge`).
 */
export default {
  name: "catastrophe",
  description: "40 members, halves partitioned for 2.5 T_fail, then healed: do the groups re-merge?",
  members: 40,
  duration: { tGossip: 10, tFail: 2.5 },
  faults: [{ kind: "partition", at: { tGossip: 10 }, shape: "halves", healAfter: { tFail: 2.5 } }],
  recovery: { ms: 60_000 },
  catastrophe: { meanIntervalSeconds: 10 },
  speedup: 10,
  seed: 1,
} satisfies ScenarioInput;
