/**
 * The same basic detectors in virtual time (no sockets, no timer noise,
 * 1 ms latency, seeded loss), measured with the same episode tracker as a
 * real run. Beside the model and the real measurement, it separates what
 * the model's assumptions cost from what the real network stack costs.
 *
 * @module
 */

import { createBasicGossipDetector } from "../../lib/basic/detector.ts";
import type { HistogramData } from "../../lib/core/histogram.ts";
import { loopbackId } from "../../lib/core/member_id.ts";
import { deriveSeed, seededPrng } from "../../lib/core/prng.ts";
import { simulate } from "../../lib/sim/simulate.ts";
import { type EpisodeRecord, EpisodeTracker } from "../metrics/episodes.ts";

/** Options of {@linkcode simulateEpisodes}. */
export interface SimulateEpisodesOptions {
  /** Members, n. */
  readonly members: number;
  /** Members failed from the start, f (the last f). */
  readonly failed: number;
  /** Loss on every message. */
  readonly loss: number;
  /** Gossip period (ms). */
  readonly tGossipMs: number;
  /** T_fail (ms). */
  readonly tFailMs: number;
  /** Episode window (ms). */
  readonly horizonMs: number;
  /** Episodes to aim for. */
  readonly episodes: number;
  /** Seed. */
  readonly seed: number;
}

/** Episodes measured in simulation. */
export interface SimulatedEpisodes {
  /** Episodes from live sources. */
  readonly records: EpisodeRecord[];
  /** Live observers per episode. */
  readonly expectedObservers: number;
  /** Every learn's propagation time (ms). */
  readonly propagation: HistogramData;
}

/** Runs the detectors in virtual time and tracks every episode. */
export function simulateEpisodes(o: SimulateEpisodesOptions): SimulatedEpisodes {
  const live = o.members - o.failed;
  const durationMs = o.horizonMs + 3 * o.tGossipMs + (o.episodes / live) * o.tGossipMs;
  const cutoffMs = durationMs - o.horizonMs - 2 * o.tGossipMs;
  const tracker = new EpisodeTracker({ horizonMs: o.horizonMs, cutoffMs });
  const ids = Array.from({ length: o.members }, (_, i) => loopbackId(20_000 + i));
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const detectors = ids.map((self, i) =>
    createBasicGossipDetector({
      self,
      members: ids,
      tGossipMs: o.tGossipMs,
      tFailMs: o.tFailMs,
      tCleanupMs: 2 * o.tFailMs,
      rng: seededPrng(deriveSeed(o.seed, "sim-member", i)),
      startMs: 0,
      onHeartbeat: (counter, atMs) => tracker.origin(i, counter, atMs),
      onLearn: (source, from, to, atMs) => tracker.learn(indexOf.get(source)!, from, to, atMs),
    })
  );
  simulate({
    detectors,
    untilMs: durationMs,
    loss: o.loss,
    rng: seededPrng(deriveSeed(o.seed, "sim-loss")),
    crashes: ids.slice(live).map((member) => ({ member, atMs: 0 })),
  });
  const records = tracker.drain(Infinity).filter((r) => r.source < live && r.originMs <= cutoffMs);
  return { records, expectedObservers: live - 1, propagation: tracker.propagation.toJSON() };
}
