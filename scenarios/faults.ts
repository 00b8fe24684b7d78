import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * A Jepsen-style schedule on 20 members at the paper's parameters: a
 * burst of loss, a crash by proxy that recovers, a member paused (the slow
 * member behind Lifeguard), a partition into halves that heals, and a
 * killed member that restarts with a fresh heartbeat. Every fault heals,
 * then a recovery window of 5 gossip periods. Time-compressed 4x.
 */
export default {
  name: "faults",
  description: "20 members through loss bursts, a crash, a pause, a partition and a kill/restart",
  members: 20,
  duration: { tFail: 6 },
  speedup: 4,
  seed: 1,
  faults: [
    {
      kind: "impair",
      at: { tFail: 0.5 },
      for: { tFail: 0.5 },
      rule: { id: "burst", impairment: { kind: "gilbert-elliott", p: 0.05, r: 0.3 } },
    },
    { kind: "crash", at: { tFail: 1 }, member: 3, recoverAfter: { tFail: 1.5 } },
    { kind: "pause", at: { tFail: 1.5 }, member: 5, for: { tFail: 1.5 } },
    { kind: "partition", at: { tFail: 3 }, shape: "halves", healAfter: { tFail: 1.5 } },
    { kind: "kill", at: { tFail: 3.5 }, member: 7, restartAfter: { tFail: 1 } },
  ],
  recovery: { tFail: 1 },
} satisfies ScenarioInput;
