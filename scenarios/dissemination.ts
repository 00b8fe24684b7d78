import type { ScenarioInput } from "../harness/scenario/mod.ts";

/**
 * Dissemination styles side by side: 100 members, no faults, every heartbeat
 * tracked from its origin to every observer. Run with
 * `harness compare dissemination --variants push,pull,push-pull,digest,topology-aware,multi-level`.
 */
export default {
  name: "dissemination",
  description: "100 members, no faults, propagation episodes measured: infection curves and bytes per style",
  members: 100,
  duration: { tGossip: 40 },
  measureEpisodes: true,
  episodeHorizon: { tGossip: 20 },
  speedup: 10,
  seed: 1,
} satisfies ScenarioInput;
