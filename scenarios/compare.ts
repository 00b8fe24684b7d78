import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * The detectors' comparison setting: 100 members, 5% loss on every link,
 * one crash by proxy, time-compressed 10x. Run with `harness compare compare`.
 */
export default {
  name: "compare",
  description: "100 members, 5% loss, one crash: for `harness compare`",
  members: 100,
  loss: 0.05,
  duration: { tFail: 1, tGossip: 40 },
  crashes: [{ member: 1, at: { tGossip: 10 } }],
  speedup: 10,
  seed: 1,
} satisfies ScenarioInput;
