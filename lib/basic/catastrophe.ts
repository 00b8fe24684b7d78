/**
 * Catastrophe recovery (van Renesse et al. 1998, section 5): a member stops
 * gossiping to a silent member at T_fail but reports it only later, and
 * once per decision interval broadcasts its whole list with probability
 * p(t) = (t / scale)^a, t the seconds since it last heard a broadcast.
 *
 * @module
 */

import { ConfigError } from "../core/errors.ts";
import type { MemberId } from "../core/member_id.ts";
import type { Prng } from "../core/prng.ts";

/** Catastrophe recovery settings. */
export interface CatastropheOptions {
  /** The subnet's broadcast address (the harness's proxy fans out to the subnet). */
  readonly broadcastAddress: MemberId;
  /** The exponent a of p(t) = (t / scale)^a. */
  readonly exponent: number;
  /** The scale of p(t), seconds. @default {20} */
  readonly scaleSeconds?: number;
  /** How often a member decides whether to broadcast (ms). @default {1000} */
  readonly decisionIntervalMs?: number;
  /** Silence after which a member is reported failed (>= T_fail; gossip to it stops at T_fail). @default {tFailMs} */
  readonly reportAfterMs?: number;
}

/** Checks the options against the detector's T_fail and T_cleanup; returns the report delay. */
export function checkCatastrophe(cat: CatastropheOptions, tFailMs: number, tCleanupMs: number): number {
  const reportAfterMs = cat.reportAfterMs ?? tFailMs;
  if (!(cat.exponent > 0 && Number.isFinite(cat.exponent))) {
    throw new ConfigError(
      "catastrophe.exponent",
      `'catastrophe.exponent' must be positive: current value is ${cat.exponent}`,
    );
  }
  if (!(reportAfterMs >= tFailMs && reportAfterMs <= tCleanupMs)) {
    throw new ConfigError(
      "catastrophe.reportAfterMs",
      `'catastrophe.reportAfterMs' must be in [tFailMs, tCleanupMs] (${tFailMs}, ${tCleanupMs}): current value is ${reportAfterMs}`,
    );
  }
  return reportAfterMs;
}

/** One broadcast decision: true with probability min(1, (t / scale)^a). */
export function decideBroadcast(rng: Prng, sinceHeardMs: number, cat: CatastropheOptions): boolean {
  const t = sinceHeardMs / 1000;
  return rng() < Math.min(1, Math.pow(t / (cat.scaleSeconds ?? 20), cat.exponent));
}
