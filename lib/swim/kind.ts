/**
 * SWIM's registration (with Lifeguard's extensions and memberlist's
 * separate gossip as settings).
 *
 * @module
 */

import { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import { defineKind } from "../core/kind.ts";
import { swimExpectedDetectionPeriods } from "../model/swim.ts";
import { createSwimDetector } from "./detector.ts";

/** SWIM's resolved settings (nominal ms). */
export interface SwimSettings {
  /** Protocol period T'. */
  readonly protocolPeriodMs: number;
  /** Direct ping timeout. */
  readonly pingTimeoutMs: number;
  /** Indirect probers k. */
  readonly indirectChecks: number;
  /** memberlist's SuspicionMult. */
  readonly suspicionMult: number;
  /** Suspicion timeout (Lifeguard's minimum when `lifeguard` is on): mult * max(1, log10 n) * T'. */
  readonly suspicionTimeoutMs: number;
  /** Lifeguard's extensions (health multiplier, confirmations, buddy system). */
  readonly lifeguard: boolean;
  /** memberlist's separate gossip interval, or null for piggyback only. */
  readonly gossipIntervalMs: number | null;
  /** Members each separate gossip goes to. */
  readonly gossipNodes: number;
}

/** The scenario's `swim` field. */
export const swimSettingsSchema = z.strictObject({
  protocolPeriodMs: z.number().positive().finite().optional(),
  pingTimeoutMs: z.number().positive().finite().optional(),
  indirectChecks: z.number().int().min(0).max(64).optional(),
  suspicionMult: z.number().gt(0).finite().optional(),
  lifeguard: z.boolean().optional(),
  gossipIntervalMs: z.number().positive().finite().optional(),
  gossipNodes: z.number().int().min(1).max(64).optional(),
});

type SwimInput = z.infer<typeof swimSettingsSchema>;

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** SWIM (Das, Gupta, Motivala 2002), optionally with Lifeguard. */
export const swimKind = defineKind<SwimSettings>()({
  name: "swim",
  description: "SWIM: round-robin probes, indirect pings, suspicion with incarnations (optionally Lifeguard)",
  settingsKey: "swim",
  settingsSchema: swimSettingsSchema,
  gossipOptions: false,
  episodes: false,
  timeCompressible: true,
  resolve: (input, ctx) => {
    const i = (input ?? {}) as SwimInput;
    const protocolPeriodMs = i.protocolPeriodMs ?? 1000;
    const pingTimeoutMs = i.pingTimeoutMs ?? Math.min(500, protocolPeriodMs / 2);
    if (!(pingTimeoutMs < protocolPeriodMs)) {
      throw new ConfigError(
        "pingTimeoutMs",
        `'pingTimeoutMs' must be below 'protocolPeriodMs' (${protocolPeriodMs}): current value is ${pingTimeoutMs}`,
      );
    }
    const suspicionMult = i.suspicionMult ?? 4;
    return {
      protocolPeriodMs,
      pingTimeoutMs,
      indirectChecks: i.indirectChecks ?? 3,
      suspicionMult,
      suspicionTimeoutMs: suspicionMult * Math.max(1, Math.log10(ctx.members)) * protocolPeriodMs,
      lifeguard: i.lifeguard ?? false,
      gossipIntervalMs: i.gossipIntervalMs ?? null,
      gossipNodes: i.gossipNodes ?? 3,
    };
  },
  periodMs: (w) => w.protocolPeriodMs,
  silenceMs: (w) => w.suspicionTimeoutMs + 2 * w.protocolPeriodMs,
  describe: (w) =>
    `SWIM${w.lifeguard ? " + Lifeguard" : ""} · T' ${s(w.protocolPeriodMs)} · ping timeout ${
      s(w.pingTimeoutMs)
    } · k = ${w.indirectChecks} · suspicion timeout ${s(w.suspicionTimeoutMs)}` +
    (w.gossipIntervalMs !== null ? ` · gossip every ${w.gossipIntervalMs} ms to ${w.gossipNodes}` : ""),
  model: (w) => {
    const first = swimExpectedDetectionPeriods(1) * w.protocolPeriodMs;
    if (w.lifeguard) {
      return `gossip every ${w.gossipIntervalMs ?? "—"} ms to ${w.gossipNodes}; first suspicion ~${
        (first / 1000).toFixed(2)
      } s (1.58 T') + suspicion timeout from ${(6 * w.suspicionTimeoutMs / 1000).toFixed(1)} s down to ${
        (w.suspicionTimeoutMs / 1000).toFixed(1)
      } s with confirmations`;
    }
    return `first suspicion ~${(first / 1000).toFixed(2)} s (1.58 T') + suspicion timeout ${
      (w.suspicionTimeoutMs / 1000).toFixed(2)
    } s = ${((first + w.suspicionTimeoutMs) / 1000).toFixed(2)} s`;
  },
  scaleToBudget: (input, w, factor) => {
    const period = w.protocolPeriodMs * factor;
    return { ...input, protocolPeriodMs: period, pingTimeoutMs: Math.min(w.pingTimeoutMs, period / 2) };
  },
  variants: {
    // As memberlist runs it: plus the separate gossip every 200 ms to 3 members.
    lifeguard: (input) => ({ gossipIntervalMs: 200, gossipNodes: 3, ...input, lifeguard: true }),
  },
  create: (w, m) =>
    createSwimDetector({
      self: m.self,
      members: m.members,
      protocolPeriodMs: w.protocolPeriodMs,
      pingTimeoutMs: w.pingTimeoutMs,
      indirectChecks: w.indirectChecks,
      suspicionTimeoutMs: w.suspicionTimeoutMs,
      lifeguard: w.lifeguard,
      ...(w.gossipIntervalMs !== null ? { gossipIntervalMs: w.gossipIntervalMs } : {}),
      gossipNodes: w.gossipNodes,
      rng: m.rng,
      startMs: m.startMs,
    }),
});
