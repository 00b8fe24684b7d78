/**
 * The neighbour-ping detector's registration.
 *
 * @module
 */

import { z } from "zod";
import { defineKind } from "../core/kind.ts";
import { createNeighborDetector } from "./detector.ts";
import { type NeighborSettings, resolveNeighborSettings } from "./options.ts";

/** The scenario's `neighbor` field. */
export const neighborSettingsSchema = z.strictObject({
  pingIntervalMs: z.number().positive().finite().optional(),
  pingTimeoutMs: z.number().positive().finite().optional(),
  missesToSuspect: z.number().int().min(1).max(1000).optional(),
  neighborsPerSide: z.number().int().min(1).max(16).optional(),
  quorum: z.number().int().min(1).max(32).optional(),
  noticeIntervalMs: z.number().positive().finite().optional(),
  membershipIntervalMs: z.number().positive().finite().optional(),
});

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The lecture's faster approach: membership gossip, failures found by pings to ring neighbours. */
export const neighborKind = defineKind<NeighborSettings>()({
  name: "neighbor",
  description: "the lecture's faster approach: pings to ring neighbours, a quorum of pingers, fast failure notices",
  settingsKey: "neighbor",
  settingsSchema: neighborSettingsSchema,
  gossipOptions: false,
  episodes: false,
  timeCompressible: true,
  // In a scenario the membership list is gossiped every 2 T_gossip, so it costs about B/2 and the pings the rest.
  resolve: (input, ctx) =>
    resolveNeighborSettings({
      membershipIntervalMs: 2 * ctx.gossip.tGossipMs,
      ...(input as Partial<NeighborSettings> | undefined),
    }),
  periodMs: (nb) => nb.pingIntervalMs,
  silenceMs: (nb) => (nb.missesToSuspect + 2) * nb.pingIntervalMs,
  describe: (nb) =>
    `neighbour pings · every ${s(nb.pingIntervalMs)} to ${2 * nb.neighborsPerSide} ring neighbours · timeout ${
      s(nb.pingTimeoutMs)
    } · suspect after ${nb.missesToSuspect} misses · ${nb.quorum} pingers agree · notices every ${
      s(nb.noticeIntervalMs)
    } · membership every ${s(nb.membershipIntervalMs)}`,
  model: (nb, ctx) => {
    // Suspicion after `misses` unanswered pings (plus up to one period of phase), then the notice spreads
    // by push gossip every noticeInterval: about log_1.585(n) rounds.
    const suspect = (nb.missesToSuspect + 0.5) * nb.pingIntervalMs;
    const spread = (Math.log(ctx.members) / Math.log(1.585)) * nb.noticeIntervalMs;
    return `${nb.quorum} of ${2 * nb.neighborsPerSide} pingers after ${nb.missesToSuspect} missed pings: ~${
      (suspect / 1000).toFixed(2)
    } s + notice spread ~${(spread / 1000).toFixed(2)} s (log_1.585 n rounds of ${nb.noticeIntervalMs} ms)`;
  },
  scaleToBudget: (input, nb, factor) => {
    const ping = nb.pingIntervalMs * factor;
    return {
      ...input,
      pingIntervalMs: ping,
      pingTimeoutMs: Math.min(nb.pingTimeoutMs, ping / 2),
      membershipIntervalMs: nb.membershipIntervalMs * factor,
    };
  },
  create: (nb, m) =>
    // The harness knows every member at start: anyone else is hostile.
    createNeighborDetector({
      self: m.self,
      members: m.members,
      ...nb,
      rng: m.rng,
      startMs: m.startMs,
      closedGroup: true,
    }),
});
