import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * Real memberlist (0.2.2, lan timings) under the harness: 20 members, one
 * Go driver process each, all traffic through the proxy (UDP and TCP). The
 * cluster converges first; member 3 is crashed by proxy at 20 s (both its
 * UDP and TCP black-holed, the process keeps running) and stays down.
 * Real time only. Run with `deno task harness run memberlist-crash`.
 */
export default {
  name: "memberlist-crash",
  description: "20 real memberlist members (lan), one crash by proxy, real time",
  detector: "memberlist",
  members: 20,
  memberlist: { preset: "lan" },
  duration: 45_000,
  crashes: [{ member: 3, at: 20_000 }],
  recovery: 5000,
  speedup: 1,
  seed: 1,
} satisfies ScenarioInput;
