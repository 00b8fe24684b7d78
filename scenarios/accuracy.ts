import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * No crash at all: every S-transition is a mistake. Runs four T_fail at the
 * paper's parameters to measure the mistake rate (with its confidence
 * interval, an upper bound when none is seen), bandwidth and noise floor.
 */
export default {
  name: "accuracy",
  description: "50 members, no crash: mistake rate with its 95% interval",
  members: 50,
  loss: 0,
  duration: { tFail: 4 },
  speedup: 4,
  seed: 1,
} satisfies ScenarioInput;
