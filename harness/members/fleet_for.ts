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
import { MemberlistLauncher } from "../external/memberlist_launcher.ts";
import type { MemberlistSettings } from "../external/memberlist_kind.ts";
import { SerfLauncher } from "../external/serf_launcher.ts";
import type { SerfSettings } from "../external/serf_kind.ts";
import type { ExternalLauncher } from "../external/launcher.ts";
import type { Scenario } from "../scenario/mod.ts";
import { kindOf } from "./registry.ts";

/** The launcher of an external kind's members. */
function launcherFor(sc: Scenario): ExternalLauncher {
  switch (sc.detector) {
    case "memberlist":
      return new MemberlistLauncher(sc.settings as MemberlistSettings);
    case "serf":
      return new SerfLauncher(sc.settings as SerfSettings);
    default:
      throw new RangeError(`detector "${sc.detector}" has no launcher for programs outside the harness`);
  }
}

/** The fleet that hosts `sc`'s members, reporting to `sink`. */
export function fleetFor(sc: Scenario, sink: FleetSink): Fleet {
  if (kindOf(sc.detector).create === undefined) {
    // Joins at once may leave a member short of the full table until the next push-pull: wait up to two of them.
    const pushPullMs = (sc.settings as { pushPullIntervalMs?: number }).pushPullIntervalMs ?? 30_000;
    return new ExternalFleet({
      members: sc.members,
      launcher: launcherFor(sc),
      basePort: sc.basePort,
      sink,
      convergeTimeoutMs: Math.max(60_000, 2 * pushPullMs + 10_000),
    });
  }
  return new ShardFleet({
    members: sc.members,
    shards: sc.shards,
    hosting: sc.hosting,
    paused: sc.faults.filter((f) => f.kind === "pause").map((f) => (f as { member: number }).member),
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
