import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * Lifeguard's setting: slow members among healthy ones. 50 members at
 * memberlist's LAN timings in real time; members 5 and 17 are slow from
 * 30 s for 240 s, each stopped for 9 s of every 10 s (SIGSTOP, as an
 * overloaded process stalls), each alone in its process. Mistakes are
 * split into those about the slow members, by them, and among healthy
 * members (Lifeguard's claim: more than 50x fewer false positives). Run
 * `harness compare slow-members --variants swim-buddy,lifeguard,memberlist-classic,memberlist`.
 */
export default {
  name: "slow-members",
  description: "50 members, 2 slow (stopped 9 s of every 10 s for 240 s); real time, LAN timings",
  detector: "swim",
  members: 50,
  hosting: "processes",
  duration: 300_000,
  faults: [
    { kind: "slow", member: 5, at: 30_000, for: 240_000, interval: 10_000, stoppedFraction: 0.9 },
    { kind: "slow", member: 17, at: 30_000, for: 240_000, interval: 10_000, stoppedFraction: 0.9 },
  ],
  recovery: 10_000,
  speedup: 1,
  seed: 1,
} satisfies ScenarioInput;
