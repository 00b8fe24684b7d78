import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * The paper's setting: 50 members, B = 250 B/s (T_gossip = 1.6 s), T_fail
 * for P_mistake = 1e-3 (34.1 s), T_cleanup = 2 T_fail. One member is
 * crashed by the proxy after 10 gossip periods; the run lasts long enough
 * for every observer to detect it. Time-compressed 2x: about 41 s of real
 * time for 81 nominal seconds.
 */
export default {
  name: "demo",
  description: "50 members at the paper's parameters; one crash by proxy; detection, mistakes, bandwidth",
  members: 50,
  budgetBytesPerSec: 250,
  pMistake: 1e-3,
  loss: 0,
  duration: { tGossip: 30, tFail: 1 },
  speedup: 2,
  seed: 1,
  crashes: [{ member: 1, at: { tGossip: 10 } }],
} satisfies ScenarioInput;
