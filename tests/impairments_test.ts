import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { freshFate, type Packet } from "../harness/faults/impairments/impairment.ts";
import { ConfigError } from "../lib/core/errors.ts";
import { createImpairment, IMPAIRMENT_KINDS } from "../harness/faults/impairments/registry.ts";
import { Rule } from "../harness/faults/impairments/rule.ts";
import { GilbertElliottImpairment } from "../harness/faults/impairments/gilbert_elliott.ts";
import {
  bridge,
  groups,
  halves,
  isolate,
  majoritiesRing,
  majorityMinority,
  oneWay,
} from "../harness/faults/partitions.ts";
import { seededPrng } from "../lib/core/prng.ts";

const packet = (link = 1, size = 100, nowMs = 0): Packet => ({ from: 0, to: 1, link, size, nowMs });

function fates(spec: Parameters<typeof createImpairment>[0], count: number, seed = 1) {
  const imp = createImpairment(spec);
  const rng = seededPrng(seed);
  const link = imp.linkState();
  return Array.from({ length: count }, (_, i) => {
    const f = freshFate();
    imp.apply(packet(1, 100, i), f, rng, link);
    return f;
  });
}

Deno.test("loss drops the configured fraction; correlation keeps it and lengthens runs", () => {
  const plain = fates({ kind: "loss", probability: 0.2 }, 20000);
  const rate = plain.filter((f) => f.dropped).length / plain.length;
  assertAlmostEquals(rate, 0.2, 0.015);
  const correlated = fates({ kind: "loss", probability: 0.2, correlation: 0.8 }, 20000);
  const cRate = correlated.filter((f) => f.dropped).length / correlated.length;
  assertAlmostEquals(cRate, 0.2, 0.04);
  const meanRun = (fs: typeof plain) => {
    let runs = 0, dropped = 0;
    fs.forEach((f, i) => {
      if (f.dropped) {
        dropped++;
        if (i === 0 || !fs[i - 1]!.dropped) runs++;
      }
    });
    return dropped / runs;
  };
  assert(meanRun(correlated) > 2 * meanRun(plain), `${meanRun(correlated)} vs ${meanRun(plain)}`);
});

Deno.test("gilbert-elliott loses at its stationary rate in bursts of mean length 1/r", () => {
  const spec = { kind: "gilbert-elliott" as const, p: 0.02, r: 0.25 };
  const fs = fates(spec, 50000);
  const rate = fs.filter((f) => f.dropped).length / fs.length;
  const expected = new GilbertElliottImpairment(spec).stationaryLoss; // 0.02 / 0.27
  assertAlmostEquals(rate, expected, 0.015);
  let runs = 0, dropped = 0;
  fs.forEach((f, i) => {
    if (f.dropped) {
      dropped++;
      if (i === 0 || !fs[i - 1]!.dropped) runs++;
    }
  });
  assertAlmostEquals(dropped / runs, 1 / 0.25, 0.5);
});

Deno.test("delay adds ms plus jitter with the chosen distribution, never negative", () => {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => {
    const m = mean(xs);
    return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
  };
  const uniform = fates({ kind: "delay", ms: 20, jitterMs: 5 }, 20000).map((f) => f.delayMs);
  assertAlmostEquals(mean(uniform), 20, 0.15);
  assertAlmostEquals(sd(uniform), 5 / Math.sqrt(3), 0.1);
  assert(Math.min(...uniform) >= 15 && Math.max(...uniform) <= 25);
  const normal = fates({ kind: "delay", ms: 20, jitterMs: 5, distribution: "normal" }, 20000).map((f) => f.delayMs);
  assertAlmostEquals(mean(normal), 20, 0.15);
  assertAlmostEquals(sd(normal), 5, 0.15);
  const pareto = fates({ kind: "delay", ms: 20, jitterMs: 5, distribution: "pareto" }, 20000).map((f) => f.delayMs);
  assertAlmostEquals(mean(pareto), 20, 0.3);
  assert(Math.max(...pareto) > 20 + 5 * 5, "heavy right tail");
  const clamp = fates({ kind: "delay", ms: 1, jitterMs: 10, distribution: "normal" }, 2000).map((f) => f.delayMs);
  assert(Math.min(...clamp) >= 0);
  const correlated = fates({ kind: "delay", ms: 20, jitterMs: 5, correlation: 0.9 }, 5000).map((f) => f.delayMs);
  const lag1 = (xs: number[]) => {
    const m = mean(xs);
    let num = 0, den = 0;
    for (let i = 1; i < xs.length; i++) num += (xs[i]! - m) * (xs[i - 1]! - m);
    for (const x of xs) den += (x - m) ** 2;
    return num / den;
  };
  assert(lag1(correlated) > 0.7 && Math.abs(lag1(uniform)) < 0.05, `${lag1(correlated)} ${lag1(uniform)}`);
});

Deno.test("duplicate, corrupt and reorder act at their rates", () => {
  const dup = fates({ kind: "duplicate", probability: 0.1 }, 20000);
  assertAlmostEquals(dup.filter((f) => f.copies === 2).length / dup.length, 0.1, 0.01);
  const cor = fates({ kind: "corrupt", probability: 0.05, bits: 3 }, 20000);
  const corrupted = cor.filter((f) => f.flipBits.length > 0);
  assertAlmostEquals(corrupted.length / cor.length, 0.05, 0.008);
  assert(corrupted.every((f) => f.flipBits.length === 3 && f.flipBits.every((b) => b >= 0 && b < 800)));
  const reo = fates({ kind: "reorder", probability: 0.5, gap: 4 }, 20000);
  reo.forEach((f, i) => {
    if (f.immediate) assertEquals((i + 1) % 4, 0, "only every 4th datagram is a candidate");
  });
  assertAlmostEquals(reo.filter((f) => f.immediate).length / reo.length, 0.125, 0.01);
});

Deno.test("rate serialises each link: back-to-back datagrams queue behind each other", () => {
  const imp = createImpairment({ kind: "rate", bytesPerSec: 10_000, overheadBytes: 0 });
  const rng = seededPrng(1);
  const link7 = imp.linkState();
  const delays = [0, 0, 0].map(() => {
    const f = freshFate();
    imp.apply(packet(7, 100, 0), f, rng, link7);
    return f.delayMs;
  });
  assertEquals(delays, [10, 20, 30]);
  const other = freshFate();
  imp.apply(packet(8, 100, 0), other, rng, imp.linkState());
  assertEquals(other.delayMs, 10, "another link has its own queue");
});

Deno.test("createImpairment() and Rule reject bad specs, naming the field", () => {
  const cases: [unknown, string][] = [
    [{ kind: "loss", probability: 1.5 }, "loss.probability"],
    [{ kind: "loss", probability: 0.1, correlation: -1 }, "loss.correlation"],
    [{ kind: "loss", probability: 0.1, bogus: 1 }, "loss.bogus"],
    [{ kind: "delay", ms: -1 }, "delay.ms"],
    [{ kind: "delay", ms: 1, distribution: "lognormal" }, "delay.distribution"],
    [{ kind: "rate", bytesPerSec: 0 }, "rate.bytesPerSec"],
    [{ kind: "reorder", probability: 0.1, gap: 0 }, "reorder.gap"],
    [{ kind: "corrupt", probability: 0.1, bits: 0 }, "corrupt.bits"],
    [{ kind: "teleport" }, "kind"],
  ];
  for (const [spec, field] of cases) {
    const e = assertThrows(() => createImpairment(spec as never), ConfigError);
    assertEquals(e.field, field, JSON.stringify(spec));
  }
  assert(IMPAIRMENT_KINDS.includes("gilbert-elliott"));
  const bad: [unknown, string][] = [
    [{ id: "x", from: [9], impairment: { kind: "loss", probability: 0.1 } }, "x.from"],
    [{ id: "x", direction: "sideways", impairment: { kind: "loss", probability: 0.1 } }, "x.direction"],
    [{ id: "x", probability: 2, impairment: { kind: "loss", probability: 0.1 } }, "x.probability"],
    [{ id: "", impairment: { kind: "loss", probability: 0.1 } }, "id"],
  ];
  for (const [spec, field] of bad) {
    assertEquals(assertThrows(() => new Rule(spec as never, 4, 1), ConfigError).field, field);
  }
});

Deno.test("Rule selects links and directions, applies with its probability, and replays with the same seed", () => {
  const forward = new Rule({ id: "f", from: [0], to: [1], impairment: { kind: "loss", probability: 1 } }, 3, 1);
  assertEquals([forward.matches(0, 1), forward.matches(1, 0), forward.matches(0, 2)], [true, false, false]);
  const both = new Rule(
    { id: "b", from: [0], to: [1], direction: "both", impairment: { kind: "loss", probability: 1 } },
    3,
    1,
  );
  assertEquals([both.matches(0, 1), both.matches(1, 0), both.matches(2, 1)], [true, true, false]);
  const decisions = (seed: number) => {
    const r = new Rule({ id: "p", probability: 0.3, impairment: { kind: "loss", probability: 1 } }, 3, seed);
    return Array.from({ length: 200 }, (_, i) => {
      const f = freshFate();
      r.apply(packet(i % 3, 10, i), f);
      return f.dropped !== null;
    });
  };
  assertEquals(decisions(5), decisions(5));
  assert(decisions(5).join() !== decisions(6).join());
  const r = new Rule({ id: "c", probability: 0.3, impairment: { kind: "duplicate", probability: 1 } }, 3, 1);
  for (let i = 0; i < 1000; i++) r.apply(packet(1, 10, i), freshFate());
  assertEquals(r.counters.matched, 1000);
  assertAlmostEquals(r.counters.applied / 1000, 0.3, 0.05);
  assertEquals(r.counters.duplicated, r.counters.applied);
});

Deno.test("partition builders cut the links Jepsen's grudges describe", () => {
  const has = (cuts: readonly (readonly [number, number])[], a: number, b: number) =>
    cuts.some(([x, y]) => x === a && y === b);
  const h = halves(4);
  assertEquals(h.length, 8);
  assert(has(h, 0, 2) && has(h, 2, 0) && !has(h, 0, 1));
  const mm = majorityMinority(5);
  assert(has(mm, 0, 3) && !has(mm, 0, 2) && !has(mm, 3, 4));
  const iso = isolate(4, 2);
  assertEquals(iso.length, 6);
  assert(iso.every(([a, b]) => a === 2 || b === 2));
  const ring = majoritiesRing(5);
  for (let a = 0; a < 5; a++) {
    const reaches = 5 - ring.filter(([x]) => x === a).length;
    assert(reaches >= 3, `member ${a} reaches a majority (${reaches})`);
  }
  const views = Array.from({ length: 5 }, (_, a) => ring.filter(([x]) => x === a).map(([, y]) => y).join());
  assertEquals(new Set(views).size, 5, "no two members see the same majority");
  const ow = oneWay(3, [0], [1, 2]);
  assert(has(ow, 0, 1) && !has(ow, 1, 0));
  const br = bridge(5);
  assert(has(br, 0, 3) && !has(br, 0, 2) && !has(br, 2, 4));
  assertThrows(() => groups(3, [[0, 1], [1, 2]]), RangeError, "two groups");
});
