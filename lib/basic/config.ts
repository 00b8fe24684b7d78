/**
 * Configuration of the basic gossip detector, derived from the paper's
 * inputs: the group size n, a per-member bandwidth budget B and a target
 * mistake probability.
 *
 * @module
 */

import { ConfigError } from "../core/errors.ts";
import { ENTRY_BYTES } from "./codec.ts";
import { roundsForMistake, roundsToSeconds } from "../model/gossip_markov.ts";

/** Inputs from which {@linkcode deriveGossipConfig} computes the timings. */
export interface GossipConfigInput {
  /** Members in the group, n. An integer >= 2. */
  readonly members: number;
  /**
   * Per-member gossip budget B in bytes per second. Sets the gossip period
   * `T_gossip = 8n / B` (the paper's 8 bytes per entry; header bytes are
   * not in the paper's formula and are reported separately).
   * @default {250}
   */
  readonly budgetBytesPerSec?: number;
  /**
   * Target probability that some member wrongly suspects another for one
   * heartbeat, `P_mistake`. Sets T_fail through the paper's Markov chain.
   * @default {1e-3}
   */
  readonly pMistake?: number;
  /**
   * Members the model assumes failed when it picks T_fail, f.
   * @default {1}
   */
  readonly modelFailed?: number;
  /**
   * Message loss the model assumes when it picks T_fail.
   * @default {0}
   */
  readonly modelLoss?: number;
  /** Overrides the derived T_fail (ms). */
  readonly tFailMs?: number;
  /**
   * Overrides T_cleanup (ms).
   * @default {2 * tFailMs} (the paper's argument)
   */
  readonly tCleanupMs?: number;
}

/** Timings of the basic detector, all in (nominal) milliseconds. */
export interface GossipConfig {
  /** Members, n. */
  readonly members: number;
  /** Per-member budget B (bytes/s). */
  readonly budgetBytesPerSec: number;
  /** Target mistake probability. */
  readonly pMistake: number;
  /** Failed members the model assumed, f. */
  readonly modelFailed: number;
  /** Loss the model assumed. */
  readonly modelLoss: number;
  /** Single-gossiper rounds r the model needs for pMistake. */
  readonly rounds: number;
  /** Gossip period: `8n / B` seconds. */
  readonly tGossipMs: number;
  /** Time without a heartbeat increase before a member is declared failed. */
  readonly tFailMs: number;
  /** Time after the last increase at which a failed member's entry is dropped. */
  readonly tCleanupMs: number;
}

/**
 * Derives T_gossip, T_fail and T_cleanup.
 *
 * @example
 * ```ts
 * const c = deriveGossipConfig({ members: 50 });
 * // c.tGossipMs === 1600, c.tFailMs === 34112 (r = 1066), c.tCleanupMs === 68224
 * ```
 */
export function deriveGossipConfig(input: GossipConfigInput): GossipConfig {
  const {
    members,
    budgetBytesPerSec = 250,
    pMistake = 1e-3,
    modelFailed = 1,
    modelLoss = 0,
  } = input;
  if (!Number.isInteger(members) || members < 2) {
    throw new ConfigError(
      "members",
      `'members' must be an integer >= 2: current value is ${members}`,
    );
  }
  if (
    !(budgetBytesPerSec >= ENTRY_BYTES) || !Number.isFinite(budgetBytesPerSec)
  ) {
    throw new ConfigError(
      "budgetBytesPerSec",
      `'budgetBytesPerSec' must be at least ${ENTRY_BYTES} (one entry per second): current value is ${budgetBytesPerSec}`,
    );
  }
  if (!(pMistake > 0 && pMistake < 1)) {
    throw new ConfigError(
      "pMistake",
      `'pMistake' must be in (0, 1): current value is ${pMistake}`,
    );
  }
  if (
    !Number.isInteger(modelFailed) || modelFailed < 0 ||
    modelFailed > members - 2
  ) {
    throw new ConfigError(
      "modelFailed",
      `'modelFailed' must be an integer in [0, ${members - 2}]: current value is ${modelFailed}`,
    );
  }
  if (!(modelLoss >= 0 && modelLoss < 1)) {
    throw new ConfigError(
      "modelLoss",
      `'modelLoss' must be in [0, 1): current value is ${modelLoss}`,
    );
  }
  const tGossipMs = (ENTRY_BYTES * members / budgetBytesPerSec) * 1000;
  const rounds = roundsForMistake({
    members,
    failed: modelFailed,
    loss: modelLoss,
  }, pMistake);
  const tFailMs = input.tFailMs ??
    roundsToSeconds(rounds, members, tGossipMs / 1000) * 1000;
  if (!(tFailMs > 0) || !Number.isFinite(tFailMs)) {
    throw new ConfigError(
      "tFailMs",
      `'tFailMs' must be a positive number: current value is ${tFailMs}`,
    );
  }
  const tCleanupMs = input.tCleanupMs ?? 2 * tFailMs;
  if (!(tCleanupMs >= tFailMs) || !Number.isFinite(tCleanupMs)) {
    throw new ConfigError(
      "tCleanupMs",
      `'tCleanupMs' must be at least tFailMs (${tFailMs}): current value is ${tCleanupMs}`,
    );
  }
  return {
    members,
    budgetBytesPerSec,
    pMistake,
    modelFailed,
    modelLoss,
    rounds,
    tGossipMs,
    tFailMs,
    tCleanupMs,
  };
}
