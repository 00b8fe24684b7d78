import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * Real Serf agents (lan profile) under the harness: 20 members, one `serf
 * agent` each, all gossip through the proxy (UDP and TCP). The cluster
 * converges first; member 3 is crashed by proxy at 20 s (both its UDP and
 * TCP black-holed, the agent keeps running) and stays down. Real time only.
 * Run with `deno task harness run serf-crash`.
 */
export default {
  name: "serf-crash",
  description: "20 real Serf agents (lan profile), one crash by proxy, real time",
  detector: "serf",
  members: 20,
  serf: { profile: "lan" },
  duration: 45_000,
  crashes: [{ member: 3, at: 20_000 }],
  recovery: 5000,
  speedup: 1,
  seed: 1,
} satisfies ScenarioInput;
