// The episode tracker's typed-array tables behave exactly as the plain map they replaced: same records, same
// order, same histogram, on seeded random traffic with out-of-order origins, early learns, repeats and growth.
import { assertEquals } from "@std/assert";
import { Histogram } from "../lib/core/histogram.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { type EpisodeRecord, EpisodeTracker, type EpisodeTrackerOptions } from "../harness/metrics/episodes.ts";

const SPAN = 2 ** 30;

/** The tracker as it was: one map entry per open episode, every one looked at on each drain. */
class ReferenceTracker {
  readonly #o: EpisodeTrackerOptions;
  readonly #open = new Map<number, { originMs: number; learned: number; maxPropMs: number }>();
  readonly #pending = new Map<number, number[]>();
  readonly #finished: EpisodeRecord[] = [];
  readonly propagation = new Histogram();

  constructor(o: EpisodeTrackerOptions) {
    this.#o = o;
  }

  origin(source: number, counter: number, atMs: number): void {
    if (atMs > this.#o.cutoffMs) return;
    const key = source * SPAN + counter;
    if (this.#open.has(key)) return;
    const open = { originMs: atMs, learned: 0, maxPropMs: -1 };
    this.#open.set(key, open);
    const waiting = this.#pending.get(key);
    if (waiting) {
      this.#pending.delete(key);
      for (const t of waiting) this.#count(open, t);
    }
  }

  learn(source: number, from: number, to: number, atMs: number): void {
    if (from < 0) return;
    for (let h = from + 1; h <= to; h++) {
      const key = source * SPAN + h;
      const open = this.#open.get(key);
      if (open) this.#count(open, atMs);
      else if (atMs - this.#o.horizonMs <= this.#o.cutoffMs) {
        const list = this.#pending.get(key);
        if (list) list.push(atMs);
        else this.#pending.set(key, [atMs]);
      }
    }
  }

  drain(nowMs: number): EpisodeRecord[] {
    for (const [key, open] of this.#open) {
      if (open.originMs + this.#o.horizonMs > nowMs) continue;
      this.#open.delete(key);
      this.#finished.push({
        source: Math.floor(key / SPAN),
        counter: key % SPAN,
        originMs: open.originMs,
        learned: open.learned,
        maxPropMs: open.maxPropMs,
      });
    }
    for (const [key, times] of this.#pending) {
      if (times[0]! + this.#o.horizonMs < nowMs) this.#pending.delete(key);
    }
    return this.#finished.splice(0);
  }

  #count(open: { originMs: number; learned: number; maxPropMs: number }, atMs: number): void {
    const prop = atMs - open.originMs;
    if (prop > this.#o.horizonMs) return;
    open.learned++;
    if (prop > open.maxPropMs) open.maxPropMs = prop;
    this.propagation.record(prop);
  }
}

/** Seeded traffic: `sources` sources heartbeating, observers learning late, origins `skewMs` out of order. */
function replay(seed: number, sources: number, steps: number, skewMs: number, horizonMs: number): void {
  const rng = seededPrng(seed);
  const options = { horizonMs, cutoffMs: steps * 0.8 };
  const a = new EpisodeTracker(options);
  const b = new ReferenceTracker(options);
  const counters = new Array<number>(sources).fill(0);
  const held = new Array<number>(sources).fill(0);
  for (let now = 0; now < steps; now++) {
    const s = Math.floor(rng() * sources);
    const roll = rng();
    if (roll < 0.3) {
      counters[s]!++;
      const at = Math.max(0, now - rng() * skewMs);
      a.origin(s, counters[s]!, at);
      b.origin(s, counters[s]!, at);
    } else if (roll < 0.33) {
      // A repeated origin (ignored while open), or a counter re-used after its episode closed.
      const c = Math.max(1, counters[s]! - Math.floor(rng() * 40));
      a.origin(s, c, now);
      b.origin(s, c, now);
    } else if (roll < 0.95) {
      // An observer learns a range, sometimes ahead of the origin (the counter is not produced yet).
      const from = rng() < 0.05 ? -1 : held[s]!;
      const to = Math.min(counters[s]! + (rng() < 0.1 ? 2 : 0), held[s]! + 1 + Math.floor(rng() * 3));
      if (to > held[s]! && rng() < 0.5) held[s] = to;
      a.learn(s, from, to, now);
      b.learn(s, from, to, now);
    } else {
      assertEquals(a.drain(now), b.drain(now), `drain at ${now} (seed ${seed})`);
    }
    if (rng() < 0.01) held.fill(0);
  }
  assertEquals(a.drain(Infinity), b.drain(Infinity));
  assertEquals(a.propagation.toJSON(), b.propagation.toJSON());
}

Deno.test("EpisodeTracker matches the map-based tracker on in-order traffic", () => {
  for (let seed = 1; seed <= 5; seed++) replay(seed, 7, 20_000, 0, 300);
});

Deno.test("EpisodeTracker matches the map-based tracker with out-of-order origins and long windows", () => {
  for (let seed = 11; seed <= 15; seed++) replay(seed, 3, 20_000, 50, 3000);
  replay(21, 200, 50_000, 20, 5000);
});
