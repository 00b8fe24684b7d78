import type { ScenarioInput } from "../harness/scenario/mod.ts";

/** A benchmark case: a scenario with a stable id. */
export interface BenchCase {
  /** Stable id, the key baselines are compared by. */
  readonly id: string;
  /** What it measures. */
  readonly what: string;
  /** The scenario (seeded, time-compressed). */
  readonly scenario: ScenarioInput;
}

const crashRun = (members: number, extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
  name: `bench-n${members}`,
  members,
  duration: { tGossip: 20, tFail: 1 },
  crashes: [{ member: 1, at: { tGossip: 5 } }],
  speedup: 10,
  seed: 1,
  ...extra,
});

/**
 * The benchmark suite `deno task bench` runs: the paper's setting at 50,
 * 100 and 200 members, a loss sweep, a failed-members sweep and a scale
 * sweep. Every case is seeded, so a rerun on the same build gives nearly
 * the same figures; baselines compare case by case.
 */
export const BENCH_SUITE: readonly BenchCase[] = [
  { id: "paper-n50", what: "the paper's setting, 50 members, one crash", scenario: crashRun(50) },
  { id: "paper-n100", what: "the paper's setting, 100 members, one crash", scenario: crashRun(100) },
  { id: "paper-n200", what: "the paper's setting, 200 members, one crash", scenario: crashRun(200) },
  ...[0.05, 0.1, 0.2].map((loss) => ({
    id: `loss-${Math.round(loss * 100)}`,
    what: `50 members, ${Math.round(loss * 100)}% loss on every link, one crash`,
    scenario: crashRun(50, { loss }),
  })),
  ...[5, 10].map((failed) => ({
    id: `failed-${failed}`,
    what: `50 members, ${failed} failed from the start, one crash`,
    scenario: crashRun(50, { failed, modelFailed: failed }),
  })),
  ...[250, 500, 1000, 2000].map((members) => ({
    id: `scale-${members}`,
    what: `${members} members, no crash, 5 gossip periods at speed-up 10`,
    scenario: { name: `scale-${members}`, members, duration: { tGossip: 5 }, speedup: 10, seed: 1 },
  })),
];
