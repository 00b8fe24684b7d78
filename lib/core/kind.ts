/**
 * A member kind: one detector family's entry in the harness's registry
 * (`harness/members/registry.ts`). It says, in one place, everything the
 * harness needs to know about a detector that is not the state machine
 * itself: the scenario field holding its settings and that field's schema,
 * how defaults are filled and checked, the detector's period and the
 * silence that ends in a detection, a one-line description, how to scale
 * it to a bandwidth budget, the model it is compared with, and how a
 * harness-hosted member is created.
 *
 * A kind without `create` is hosted outside the harness (a real program per
 * member, see `harness/external/`); its events arrive from that program.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */

import type { Detector } from "./detector.ts";
import type { MemberId } from "./member_id.ts";
import type { Prng } from "./prng.ts";

/** The group-level settings every kind can derive its own from (nominal ms). */
export interface KindContext {
  /** Members, n. */
  readonly members: number;
  /** The paper's timings for the scenario's budget and target (T_gossip = 8n/B, T_fail, T_cleanup). */
  readonly gossip: {
    readonly budgetBytesPerSec: number;
    readonly pMistake: number;
    readonly rounds: number;
    readonly tGossipMs: number;
    readonly tFailMs: number;
    readonly tCleanupMs: number;
  };
  /** The gossip style (kinds with `gossipOptions`; "push" otherwise). */
  readonly dissemination: string;
  /** Catastrophe recovery when on (kinds with `gossipOptions`), else null. */
  readonly catastrophe: { readonly exponent: number; readonly reportAfterMs: number } | null;
}

/** What a harness-hosted member needs besides its kind's settings. */
export interface MemberContext {
  /** This member's public address. */
  readonly self: MemberId;
  /** Every member's public address, by index. */
  readonly members: readonly MemberId[];
  /** Seeded randomness of this member (and generation, after a restart). */
  readonly rng: Prng;
  /** Nominal time the member starts. */
  readonly startMs: number;
  /** Domain and subnet of a member (multi-level gossip), when the scenario has a topology. */
  readonly levelOf?: (id: MemberId) => { readonly domain: number; readonly subnet: number } | undefined;
  /** Catastrophe recovery: the broadcast address and p(t)'s exponent, when on. */
  readonly catastrophe?: {
    readonly broadcastAddress: MemberId;
    readonly exponent: number;
    readonly reportAfterMs: number;
  };
  /** Heartbeat origins (propagation episodes), when measured. */
  readonly onHeartbeat?: (counter: number, atMs: number) => void;
  /** Heartbeats learned (propagation episodes), when measured. */
  readonly onLearn?: (source: MemberId, fromCounter: number, toCounter: number, atMs: number) => void;
}

/**
 * What the registry needs of a kind's settings schema: a strict zod object
 * in practice (the scenario schema composes it), opaque here.
 */
export interface SettingsSchema {
  /** Parses a value. */
  safeParse(value: unknown): unknown;
  /** The schema of the field when absent is allowed. */
  optional(): unknown;
}

/**
 * One detector family's registration. `S` is its resolved settings (plain
 * JSON data: it travels to shard workers and into `result.json`).
 */
export interface MemberKind<
  S = unknown,
  K extends string | null = string | null,
  Z extends SettingsSchema | null = SettingsSchema | null,
> {
  /** The name scenarios use (`detector: "swim"`). */
  readonly name: string;
  /** One line for `harness list` and the README. */
  readonly description: string;
  /** The scenario field holding this kind's settings (e.g. `swim`), or null when it has none. */
  readonly settingsKey: K;
  /** The strict zod schema of that field (every property optional). */
  readonly settingsSchema: Z;
  /** Whether the basic detector's gossip options (`dissemination`, `catastrophe`) apply. */
  readonly gossipOptions: boolean;
  /** Whether the kind measures propagation episodes (`measureEpisodes`). */
  readonly episodes: boolean;
  /** Whether members can run time-compressed (speed-up other than 1). */
  readonly timeCompressible: boolean;
  /**
   * Fills every default and checks the settings (`input` is the parsed
   * field, or undefined); throws `ConfigError` naming the field relative to
   * `settingsKey`.
   */
  resolve(input: unknown, ctx: KindContext): S;
  /** The detector's period: what lateness is judged against (T_gossip, T', the ping period). */
  periodMs(settings: S, ctx: KindContext): number;
  /** The silence that ends in a detection: the window that attributes a detection to a fault. */
  silenceMs(settings: S, ctx: KindContext): number;
  /** One line describing the settings for a report. */
  describe(settings: S, ctx: KindContext): string;
  /** The model the kind's detection is compared with, in words and numbers. */
  model(settings: S, ctx: KindContext): string;
  /**
   * Settings input that spends `factor` times the bytes (equal-budget
   * comparisons scale the period by the measured bytes / B), or undefined
   * when the kind's cost is set by the budget already.
   */
  scaleToBudget?(input: Record<string, unknown> | undefined, settings: S, factor: number): Record<string, unknown>;
  /** Named variants for comparisons (e.g. SWIM's `lifeguard`): a settings input for the kind. */
  readonly variants?: Readonly<Record<string, (input: Record<string, unknown> | undefined) => Record<string, unknown>>>;
  /** Creates a harness-hosted member's detector; absent for kinds hosted outside the harness. */
  create?(settings: S, member: MemberContext): Detector;
}

/**
 * Declares a kind with settings `S`, keeping the literal settings key and
 * the schema's type (so the scenario's input type lists the field).
 *
 * @example
 * ```ts ignore
 * export const myKind = defineKind<MySettings>()({ name: "mine", settingsKey: "mine", settingsSchema, ... });
 * ```
 */
export function defineKind<S>(): <K extends string | null, Z extends SettingsSchema | null>(
  kind: MemberKind<S, K, Z>,
) => MemberKind<S, K, Z> {
  return (kind) => kind;
}
