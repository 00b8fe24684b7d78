import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { bandwidth, detectionPerCrash, mistakes, type RunRecord } from "../harness/metrics.ts";
import { poissonInterval } from "../lib/stats.ts";

function record(overrides: Partial<RunRecord>): RunRecord {
  const n = overrides.members ?? 4;
  const zeros = () => new Array(n).fill(0);
  return {
    members: n,
    durationMs: 3_600_000,
    speedup: 1,
    tGossipMs: 1000,
    budgetBytesPerSec: 250,
    downs: [],
    partitions: [],
    tFailMs: 1000,
    events: [],
    totals: {
      sentBytes: zeros(),
      sentDatagrams: zeros(),
      recvBytes: zeros(),
      recvDatagrams: zeros(),
      malformed: zeros(),
      sendErrors: zeros(),
    },
    samples: [],
    proxy: null,
    faithfulLatenessFraction: 0.05,
    noise: {
      latenessByShard: [],
      kernelRcvbufErrors: 0,
      kernelInErrors: 0,
      harnessCpuMs: 0,
      proxyCpuMs: 0,
      wallRealMs: 1,
      cores: 2,
      harnessRssBytes: 0,
      harnessPeakRssBytes: 0,
      proxyRssBytes: 0,
      proxyPeakRssBytes: 0,
      timeline: [],
    },
    ...overrides,
  };
}

Deno.test("detectionPerCrash() uses each observer's last S-transition not followed by trust, over live observers", () => {
  const r = record({
    downs: [{ member: 0, fromMs: 1000, toMs: null, cause: "crash" }],
    events: [
      { observer: 1, kind: "failed", subject: 0, atMs: 5000 },
      { observer: 2, kind: "failed", subject: 0, atMs: 4000 },
      { observer: 2, kind: "trusted", subject: 0, atMs: 4500 },
      { observer: 2, kind: "failed", subject: 0, atMs: 7000 },
      // observer 3 never detects
    ],
  });
  const [c] = detectionPerCrash(r);
  assertEquals(c!.detection.observers, 3);
  assertEquals(c!.detection.detected, 2);
  assertEquals(c!.detection.firstMs, 4000);
  assertEquals(c!.detection.fullMs, null, "not everyone detected");
  assertAlmostEquals(c!.detection.detectedFraction, 2 / 3);
});

Deno.test("mistakes() counts S-transitions about live members, not fault, partition or isolated detections", () => {
  const r = record({
    downs: [{ member: 0, fromMs: 1000, toMs: null, cause: "crash" }],
    partitions: [{ fromMs: 8000, toMs: 9000, cuts: [3 * 4 + 2], label: "one-way" }],
    events: [
      { observer: 2, kind: "failed", subject: 3, atMs: 9500 }, // silence overlapped the cut 3 -> 2
      { observer: 1, kind: "failed", subject: 0, atMs: 5000 }, // true detection
      { observer: 0, kind: "failed", subject: 1, atMs: 6000 }, // by the cut-off member
      { observer: 2, kind: "failed", subject: 3, atMs: 7000 }, // mistake
      { observer: 2, kind: "trusted", subject: 3, atMs: 9000 },
      { observer: 1, kind: "failed", subject: 0, atMs: 500 }, // before the crash: a mistake
    ],
  });
  const m = mistakes(r);
  assertEquals(m.count, 2);
  assertEquals(m.isolatedObserverDetections, 1);
  assertEquals(m.faultDetections, 1);
  assertEquals(m.partitionDetections, 1);
  assertEquals(m.corrected, 1);
  assertEquals(m.meanDurationMs, 2000);
  // Pairs: 3 live members for 1 h (6 ordered pairs) + pairs with member 0 for 1 s (6 ordered pairs).
  assertAlmostEquals(m.pairHours, 6 + 6 / 3600, 1e-9);
  assert(m.ci95[0] < m.perPairHour && m.perPairHour < m.ci95[1]);
});

Deno.test("mistakes() reports zero as an upper bound", () => {
  const m = mistakes(record({}));
  assertEquals(m.count, 0);
  assertEquals(m.ci95[0], 0);
  assertAlmostEquals(m.ci95[1], 3.689 / m.pairHours, 1e-3);
});

Deno.test("poissonInterval() matches the exact Garwood interval", () => {
  const table: [number, number, number][] = [[0, 0, 3.689], [1, 0.0253, 5.572], [10, 4.795, 18.39]];
  for (const [k, lo, hi] of table) {
    const [l, h] = poissonInterval(k);
    assertAlmostEquals(l, lo, 1e-3);
    assertAlmostEquals(h, hi, 1e-2);
  }
});

Deno.test("bandwidth() divides bytes the sockets took by the nominal run length", () => {
  const r = record({
    members: 2,
    durationMs: 10_000,
    totals: {
      sentBytes: [2500, 3000],
      sentDatagrams: [10, 10],
      recvBytes: [0, 0],
      recvDatagrams: [0, 0],
      malformed: [0, 0],
      sendErrors: [0, 0],
    },
  });
  const b = bandwidth(r);
  assertEquals(b.meanBytesPerSec, 275);
  assertEquals(b.maxBytesPerSec, 300);
  assertEquals(b.meanWireBytesPerSec, 275 + 28);
  assertEquals(b.meanEntryBytesPerSec, 275 - 8);
  assertEquals(b.membersOverBudget, 1);
  assertEquals(b.exceeded, true);
});
