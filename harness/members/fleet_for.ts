/**
 * Which fleet hosts a scenario's members: shards of harness-hosted members
 * for kinds with `create`, one real program per member otherwise (the
 * memberlist driver or Serf agents).
 *
 * @module
 */

import type { Fleet, FleetSink } from "../hosting/fleet.ts";
import { ShardFleet } from "../hosting/shard_fleet.ts";
import { ExternalFleet } from "../external/fleet.ts";
import { launcherOf } from "../external/launcher.ts";
import type { Scenario } from "../scenario/mod.ts";
import { kindOf } from "./registry.ts";

/** The fleet that hosts `sc`'s members, reporting to `sink`. */
export function fleetFor(sc: Scenario, sink: FleetSink): Fleet {
  const launcher = launcherOf(kindOf(sc.detector));
  if (launcher) {
    // Joins at once may leave a member short of the full table until the next push-pull: wait up to two of them.
    const pushPullMs = (sc.settings as { pushPullIntervalMs?: number }).pushPullIntervalMs ?? 30_000;
    return new ExternalFleet({
      members: sc.members,
      launcher: launcher(sc.settings),
      basePort: sc.basePort,
      sink,
      convergeTimeoutMs: Math.max(60_000, 2 * pushPullMs + 10_000),
    });
  }
  return new ShardFleet({
    members: sc.members,
    shards: sc.shards,
    hosting: sc.hosting,
    paused: sc.faults.filter((f) => f.kind === "pause" || f.kind === "slow").map((f) =>
      (f as { member: number }).member
    ),
    seed: sc.seed,
    kind: sc.detector,
    settings: sc.settings,
    levels: sc.topology?.levels ?? null,
    catastrophe: sc.catastrophe
      ? { exponent: sc.catastrophe.exponent, reportAfterMs: sc.catastrophe.reportAfterMs }
      : null,
    speedup: sc.speedup,
    basePort: sc.basePort,
    episodes: sc.episodes,
    sink,
  });
}
