import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * The comparison's schedule in real time at memberlist's LAN timings: 100
 * members, 5% loss on every link, member 1 crashed by proxy at 32 s and
 * back at 203 s (171 s isolated), then 60 s to see what its return does
 * (an isolated Lifeguard member comes back with death notices it could not
 * spread while cut off). SWIM by default; run the real programs beside it
 * with `harness compare isolated-return --variants memberlist,serf,swim,lifeguard`.
 */
export default {
  name: "isolated-return",
  description: "100 members, 5% loss, one member isolated 171 s then back; real time, LAN timings",
  detector: "swim",
  members: 100,
  loss: 0.05,
  duration: 203_000,
  crashes: [{ member: 1, at: 32_000 }],
  recovery: 60_000,
  speedup: 1,
  seed: 1,
} satisfies ScenarioInput;
