/**
 * The basic detector family's registrations: `basic` (the paper's T_fail
 * decision) and `phi` (phi accrual over the same gossip).
 *
 * @module
 */

import { z } from "zod";
import { defineKind, type KindContext, type MemberContext } from "../core/kind.ts";
import { createBasicGossipDetector } from "./detector.ts";
import type { DisseminationStyle } from "./options.ts";
import { type PhiOptions, resolvePhiOptions } from "./phi.ts";

/** Resolved settings of the `basic` kind (nominal ms). */
export interface BasicSettings {
  /** Gossip period. */
  readonly tGossipMs: number;
  /** Silence before a member is declared failed. */
  readonly tFailMs: number;
  /** Age at which a failed member's entry is dropped. */
  readonly tCleanupMs: number;
  /** How a gossip exchanges state. */
  readonly style: DisseminationStyle;
}

/** Resolved settings of the `phi` kind: the basic gossip plus phi accrual. */
export interface PhiSettings extends BasicSettings {
  /** Phi accrual, every field filled. */
  readonly phi: Required<PhiOptions>;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function basicSettings(ctx: KindContext): BasicSettings {
  const g = ctx.gossip;
  return {
    tGossipMs: g.tGossipMs,
    tFailMs: g.tFailMs,
    tCleanupMs: g.tCleanupMs,
    style: ctx.dissemination as DisseminationStyle,
  };
}

function describeGossip(settings: BasicSettings, ctx: KindContext): string {
  const g = ctx.gossip;
  const c = ctx.catastrophe;
  return (settings.style !== "push" ? `${settings.style} gossip · ` : "") +
    (c ? `catastrophe broadcasts (a = ${c.exponent.toFixed(2)}, report after ${s(c.reportAfterMs)}) · ` : "") +
    `T_gossip ${s(g.tGossipMs)} · T_fail ${s(g.tFailMs)} (P_mistake ${g.pMistake}, r = ${g.rounds} rounds) · ` +
    `T_cleanup ${s(g.tCleanupMs)} · B ${g.budgetBytesPerSec} B/s`;
}

function reportsAfter(base: string, ctx: KindContext): string {
  return ctx.catastrophe ? `${base}; reports after ${(ctx.catastrophe.reportAfterMs / 1000).toFixed(1)} s` : base;
}

function create(settings: BasicSettings & { readonly phi?: Required<PhiOptions> }, m: MemberContext) {
  return createBasicGossipDetector({
    self: m.self,
    members: m.members,
    tGossipMs: settings.tGossipMs,
    tFailMs: settings.tFailMs,
    tCleanupMs: settings.tCleanupMs,
    rng: m.rng,
    startMs: m.startMs,
    style: settings.style,
    // The harness knows every member at start: anyone else is hostile.
    closedGroup: true,
    ...(settings.phi ? { phi: settings.phi } : {}),
    ...(m.levelOf ? { topology: { levelOf: m.levelOf } } : {}),
    ...(m.catastrophe ? { catastrophe: m.catastrophe } : {}),
    ...(m.onHeartbeat ? { onHeartbeat: m.onHeartbeat } : {}),
    ...(m.onLearn ? { onLearn: m.onLearn } : {}),
  });
}

/** The paper's gossip heartbeat detector. */
export const basicKind = defineKind<BasicSettings>()({
  name: "basic",
  description: "the paper's gossip heartbeat detector: T_gossip = 8n/B, T_fail from the Markov model",
  settingsKey: null,
  settingsSchema: null,
  gossipOptions: true,
  episodes: true,
  timeCompressible: true,
  resolve: (_input, ctx) => basicSettings(ctx),
  periodMs: (settings) => settings.tGossipMs,
  silenceMs: (settings, ctx) => ctx.catastrophe?.reportAfterMs ?? settings.tFailMs,
  describe: describeGossip,
  model: (settings, ctx) => reportsAfter(`T_fail ${s(settings.tFailMs)} for P_mistake ${ctx.gossip.pMistake}`, ctx),
  create,
});

/** The scenario's `phi` field. */
export const phiSettingsSchema = z.strictObject({
  threshold: z.number().gt(0).finite().optional(),
  window: z.number().int().min(2).max(10_000).optional(),
  minStdDevMs: z.number().positive().finite().optional(),
  minSamples: z.number().int().min(2).optional(),
  acceptablePauseMs: z.number().min(0).finite().optional(),
});

/** Phi accrual over the basic detector's gossiped heartbeats. */
export const phiKind = defineKind<PhiSettings>()({
  name: "phi",
  description: "phi accrual (Hayashibara et al.) over the basic detector's gossiped heartbeats",
  settingsKey: "phi",
  settingsSchema: phiSettingsSchema,
  gossipOptions: true,
  episodes: true,
  timeCompressible: true,
  resolve: (input, ctx) => ({
    ...basicSettings(ctx),
    phi: resolvePhiOptions((input ?? {}) as PhiOptions, ctx.gossip.tGossipMs),
  }),
  periodMs: (settings) => settings.tGossipMs,
  silenceMs: (settings, ctx) => ctx.catastrophe?.reportAfterMs ?? settings.tFailMs,
  describe: (settings, ctx) =>
    `phi accrual (threshold ${settings.phi.threshold}, pause ${s(settings.phi.acceptablePauseMs)}, sd floor ${
      s(settings.phi.minStdDevMs)
    }) over gossip · ` + describeGossip(settings, ctx),
  model: (settings, ctx) =>
    reportsAfter(
      `phi >= ${settings.phi.threshold} (pause ${(settings.phi.acceptablePauseMs / 1000).toFixed(1)} s, sd floor ${
        (settings.phi.minStdDevMs / 1000).toFixed(1)
      } s)`,
      ctx,
    ),
  create,
});
