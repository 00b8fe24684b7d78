import type { ScenarioInput } from "../harness/scenario/mod.ts";

/** A benchmark case: a scenario with a stable id. */
export interface BenchCase {
  /** Stable id, the key baselines are compared by. */
  readonly id: string;
  /** What it measures. */
  readonly what: string;
  /** The scenario (seeded, time-compressed). */
  readonly scenario: ScenarioInput;
  /**
   * Interrupt the run this long (real ms) after it starts, as Ctrl-C does,
   * and measure how long it takes to end (the case's `stopSeconds`).
   */
  readonly interruptAfterMs?: number;
  /**
   * Run it as `harness hostile` does: quiet, then under this many hostile
   * datagrams per second at member and proxy ports; the case holds when
   * every check of that study holds (the run itself is unfaithful by design).
   */
  readonly hostileRate?: number;
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
 * 100 and 200 members, a loss sweep, a failed-members sweep, 1000 SWIM
 * members at memberlist's LAN timings in real time (with and without a
 * crash) and a scale sweep. Every case is seeded, so a rerun on the same build gives nearly
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
  ...[false, true].map((crash) => ({
    id: crash ? "swim-lan-1000-crash" : "swim-lan-1000",
    what:
      `1000 SWIM members at memberlist's LAN timings (T' 1 s, timeout 500 ms, k 3, mult 4, Lifeguard, gossip 200 ms to 3), ` +
      `real time, 120 s${crash ? ", one crash by proxy at 30 s" : ", no faults"}`,
    scenario: {
      name: crash ? "swim-lan-1000-crash" : "swim-lan-1000",
      members: 1000,
      detector: "swim" as const,
      swim: {
        protocolPeriodMs: 1000,
        pingTimeoutMs: 500,
        indirectChecks: 3,
        suspicionMult: 4,
        lifeguard: true,
        gossipIntervalMs: 200,
        gossipNodes: 3,
      },
      duration: 120_000,
      recovery: 0,
      speedup: 1,
      seed: 1,
      ...(crash ? { faults: [{ kind: "crash" as const, at: 30_000, member: 1 }] } : {}),
    },
  })),
  {
    id: "interrupt-saturated",
    what: "Ctrl-C 15 s into a run that saturates both cores (1000 SWIM members at 8x): seconds until it has ended",
    interruptAfterMs: 15_000,
    scenario: {
      name: "interrupt-saturated",
      members: 1000,
      detector: "swim",
      swim: { protocolPeriodMs: 1000, pingTimeoutMs: 500, lifeguard: true, gossipIntervalMs: 200, gossipNodes: 3 },
      duration: 600_000,
      speedup: 8,
      seed: 1,
    },
  },
  {
    id: "hostile",
    what: "the demo's group (50 members, one crash) under 500 hostile datagrams/s at member and proxy ports: " +
      "every one counted and dropped, no mistake added, the verdict unfaithful because of them",
    hostileRate: 500,
    scenario: { ...crashRun(50), name: "bench-hostile" },
  },
  ...[250, 500, 1000, 2000].map((members) => ({
    id: `scale-${members}`,
    what: `${members} members, no crash, 5 gossip periods at speed-up 10`,
    scenario: { name: `scale-${members}`, members, duration: { tGossip: 5 }, speedup: 10, seed: 1 },
  })),
];
