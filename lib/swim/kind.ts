/**
 * SWIM's registration: Lifeguard's three parts and memberlist's separate
 * gossip are settings; every default and formula comes from `options.ts`
 * and `suspicion.ts`.
 *
 * @module
 */

import { z } from "zod";
import { defineKind } from "../core/kind.ts";
import { swimExpectedDetectionPeriods } from "../model/swim.ts";
import { createSwimDetector } from "./detector.ts";
import { type ResolvedSwimOptions, resolveSwimOptions, type SwimProtocolOptions } from "./options.ts";

/** The scenario's `swim` field (see `SwimProtocolOptions` for each field's default). */
export const swimSettingsSchema = z.strictObject({
  protocolPeriodMs: z.number().positive().finite().optional(),
  pingTimeoutMs: z.number().positive().finite().optional(),
  indirectChecks: z.number().int().min(0).max(64).optional(),
  suspicionMult: z.number().gt(0).finite().optional(),
  retransmitMult: z.number().int().min(1).max(64).optional(),
  lifeguard: z.boolean().optional(),
  awareness: z.boolean().optional(),
  dynamicSuspicion: z.boolean().optional(),
  buddy: z.boolean().optional(),
  maxHealthMultiplier: z.number().int().min(1).max(64).optional(),
  gossipIntervalMs: z.number().positive().finite().optional(),
  gossipNodes: z.number().int().min(1).max(64).optional(),
});

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function lifeguardParts(w: ResolvedSwimOptions): string {
  const parts = [w.awareness && "health multiplier", w.dynamicSuspicion && "shrinking suspicion", w.buddy && "buddy"]
    .filter(Boolean);
  if (parts.length === 3) return " + Lifeguard";
  return parts.length > 0 ? ` + Lifeguard's ${parts.join(", ")}` : "";
}

/** SWIM (Das, Gupta, Motivala 2002), optionally with Lifeguard's parts and memberlist's separate gossip. */
export const swimKind = defineKind<ResolvedSwimOptions>()({
  name: "swim",
  description: "SWIM: round-robin probes, indirect pings, suspicion with incarnations (optionally Lifeguard)",
  settingsKey: "swim",
  settingsSchema: swimSettingsSchema,
  gossipOptions: false,
  episodes: false,
  timeCompressible: true,
  resolve: (input, ctx) => resolveSwimOptions((input ?? {}) as SwimProtocolOptions, ctx.members),
  periodMs: (w) => w.protocolPeriodMs,
  silenceMs: (w) => w.suspicionTimeoutMs + 2 * w.protocolPeriodMs,
  describe: (w) =>
    `SWIM${lifeguardParts(w)} · T' ${s(w.protocolPeriodMs)} · ping timeout ${
      s(w.pingTimeoutMs)
    } · k = ${w.indirectChecks} · suspicion timeout ${s(w.suspicionTimeoutMs)}` +
    (w.dynamicSuspicion ? ` (up to ${s(w.suspicionMaxMs)})` : "") +
    (w.gossipIntervalMs !== null ? ` · gossip every ${w.gossipIntervalMs} ms to ${w.gossipNodes}` : ""),
  model: (w) => {
    const first = swimExpectedDetectionPeriods(1) * w.protocolPeriodMs;
    if (w.dynamicSuspicion) {
      return `gossip every ${w.gossipIntervalMs ?? "—"} ms to ${w.gossipNodes}; first suspicion ~${
        (first / 1000).toFixed(2)
      } s (1.58 T') + suspicion timeout from ${(w.suspicionMaxMs / 1000).toFixed(1)} s down to ${
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
    // Lifeguard off as memberlist 0.2.2 can turn it off: its buddy system always stays on.
    "swim-buddy": (input) => ({
      gossipIntervalMs: 200,
      gossipNodes: 3,
      ...input,
      lifeguard: false,
      awareness: false,
      dynamicSuspicion: false,
      buddy: true,
    }),
  },
  create: (w, m) => {
    const { members: _n, suspicionMaxMs: _max, confirmationsNeeded: _k, retransmits: _r, ...protocol } = w;
    // The harness knows every member at start: anyone else is hostile.
    return createSwimDetector({
      ...protocol,
      self: m.self,
      members: m.members,
      rng: m.rng,
      startMs: m.startMs,
      closedGroup: true,
    });
  },
});
