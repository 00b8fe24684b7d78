import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { bandwidth } from "../harness/metrics/bandwidth.ts";
import { detectionPerCrash } from "../harness/metrics/detection.ts";
import { levelBandwidth } from "../harness/metrics/levels.ts";
import { mistakes } from "../harness/metrics/mistakes.ts";
import { proxyReport } from "../harness/metrics/proxy_report.ts";
import type { RunRecord } from "../harness/metrics/record.ts";
import { remerges } from "../harness/metrics/remerge.ts";
import type { ProxyCounters } from "../harness/proxy/books.ts";
import { poissonInterval } from "../lib/core/stats.ts";

function record(overrides: Partial<RunRecord>): RunRecord {
  const n = overrides.members ?? 4;
  const zeros = () => new Array(n).fill(0);
  return {
    members: n,
    durationMs: 3_600_000,
    speedup: 1,
    periodMs: 1000,
    budgetBytesPerSec: 250,
    budgetAccounting: "payload",
    downs: [],
    partitions: [],
    silenceMs: 1000,
    events: [],
    totals: {
      sentBytes: zeros(),
      sentDatagrams: zeros(),
      recvBytes: zeros(),
      recvDatagrams: zeros(),
      malformed: zeros(),
      sendErrors: zeros(),
      foreign: zeros(),
      kernelDrops: null,
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
      readings: [],
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

Deno.test("mistakes() splits mistakes by slowness: about a slow member, by a slow observer, among healthy", () => {
  const failed = (observer: number, subject: number, atMs: number) => ({
    observer,
    subject,
    kind: "failed" as const,
    atMs,
  });
  const m = mistakes(record({
    slows: [{ member: 1, fromMs: 10_000, toMs: 20_000 }],
    events: [
      failed(0, 1, 15_000), // about the slow member
      failed(2, 1, 20_500), // its silence (1 s) overlaps the slow period: still about it
      failed(1, 2, 12_000), // the slow member's own mistake
      failed(3, 2, 12_000), // among healthy
      failed(0, 1, 40_000), // long after: among healthy
    ],
  }));
  assertEquals(m.count, 5);
  assertEquals(m.bySlowness, { aboutSlow: 2, bySlowObserver: 1, amongHealthy: 2 });
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
      foreign: [0, 0],
      kernelDrops: null,
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

Deno.test("remerges() times each split pair from the heal to its first trust or re-join; a pair never back makes it incomplete", () => {
  // Halves {0,1} | {2,3} cut from 1000 to 5000 (both directions).
  const cuts = [0 * 4 + 2, 0 * 4 + 3, 1 * 4 + 2, 1 * 4 + 3, 2 * 4 + 0, 2 * 4 + 1, 3 * 4 + 0, 3 * 4 + 1];
  const failedAll = [[2, 0], [2, 1], [3, 0], [3, 1], [0, 2], [0, 3], [1, 2], [1, 3]].map(([observer, subject]) => ({
    observer: observer!,
    kind: "failed" as const,
    subject: subject!,
    atMs: 3000,
  }));
  const back = [[2, 0], [2, 1], [3, 0], [3, 1], [0, 2], [0, 3], [1, 2]].map(([observer, subject], i) => ({
    observer: observer!,
    kind: (i % 2 === 0 ? "trusted" : "joined") as "trusted" | "joined",
    subject: subject!,
    atMs: 6000 + 100 * i,
  }));
  const r = record({
    durationMs: 20_000,
    partitions: [{ fromMs: 1000, toMs: 5000, cuts, label: "halves" }],
    events: [...failedAll, { observer: 1, kind: "removed", subject: 3, atMs: 4000 }, ...back],
  });
  const [m] = remerges(r);
  assertEquals(m!.pairs, 8);
  assertEquals(m!.remerged, 7, "1 never re-learned 3");
  assertEquals(m!.fullMs, null);
  assertEquals(m!.medianMs, 1300);
  const all = remerges(record({
    durationMs: 20_000,
    partitions: [{ fromMs: 1000, toMs: 5000, cuts, label: "halves" }],
    events: [...failedAll, ...back, { observer: 1, kind: "joined", subject: 3, atMs: 9000 }],
  }));
  assertEquals(all[0]!.fullMs, 4000);
  // A partition nobody noticed splits no pair.
  assertEquals(remerges(record({ partitions: [{ fromMs: 1000, toMs: 5000, cuts, label: "halves" }] })).length, 0);
});

Deno.test("levelBandwidth() and proxyReport() count broadcasts once as sent and each fanned-out copy as judged", () => {
  const n = 4;
  const zeros = () => new Array(n).fill(0);
  const proxy: ProxyCounters = {
    fromMember: [2, 0, 0, 0],
    fromMemberBytes: [300, 0, 0, 0],
    toMember: [0, 3, 1, 0],
    toMemberBytes: zeros(),
    lostFrom: zeros(),
    blackholedFrom: zeros(),
    partitionedFrom: [1, 0, 0, 0],
    deadFrom: zeros(),
    acceptedFrom: [4, 0, 0, 0],
    duplicatedFrom: zeros(),
    sendErrorsFrom: zeros(),
    crossSubnetBytesFrom: [100, 0, 0, 0],
    crossDomainBytesFrom: [50, 0, 0, 0],
    broadcastFrom: [1, 0, 0, 0],
    broadcastBytesFrom: [40, 0, 0, 0],
    fannedOutFrom: [3, 0, 0, 0],
    delayedPending: 0,
    discarded: 0,
    unknownSource: 0,
    kernelDrops: null,
    rules: [],
    links: null,
  };
  const r = record({
    durationMs: 10_000,
    proxy,
    totals: {
      sentBytes: [340, 0, 0, 0],
      sentDatagrams: [3, 0, 0, 0],
      recvBytes: zeros(),
      recvDatagrams: [0, 3, 1, 0],
      malformed: zeros(),
      sendErrors: zeros(),
      foreign: zeros(),
      kernelDrops: null,
    },
  });
  const p = proxyReport(r)!;
  assert(p.sentReconciles && p.receivedReconciles && p.balances, JSON.stringify(p.mismatches));
  const l = levelBandwidth(r, { subnet: [0, 0, 1, 2], domain: [0, 0, 0, 1] })!;
  assertEquals(l.subnets, 3);
  assertAlmostEquals(l.withinSubnetBytesPerSec, 150 / 4 / 10);
  assertAlmostEquals(l.crossSubnetBytesPerSec, 100 / 4 / 10);
  assertAlmostEquals(l.crossDomainBytesPerSec, 50 / 4 / 10);
  assertAlmostEquals(l.subnetOutBytesPerSec.max, 15);
  assertAlmostEquals(l.domainOutBytesPerSec.max, 5);
});

Deno.test("bandwidth() judges the budget by the accounting the scenario names and reports the other two beside it", () => {
  // 2 members, 100 s, one 408-byte list (8-byte header + 50 entries) every 1.6 s: entries 250 B/s, payload 255 B/s.
  const lists = 100 / 1.6;
  const totals = {
    sentBytes: [408 * lists, 408 * lists],
    sentDatagrams: [lists, lists],
    recvBytes: [0, 0],
    recvDatagrams: [0, 0],
    malformed: [0, 0],
    sendErrors: [0, 0],
    foreign: [0, 0],
    kernelDrops: null,
  };
  const base = { members: 2, durationMs: 100_000, periodMs: 1600, totals };
  const entries = bandwidth(record({ ...base, budgetAccounting: "entries" }));
  assertEquals(entries.accounting, "entries");
  assertAlmostEquals(entries.byAccounting.entries.meanBytesPerSec, 250, 1e-9);
  assertAlmostEquals(entries.byAccounting.payload.meanBytesPerSec, 255, 1e-9);
  assertAlmostEquals(entries.byAccounting.wire.meanBytesPerSec, 255 + 28 / 1.6, 1e-9);
  assertEquals(entries.exceeded, false, "the paper's accounting: 8n per list is exactly B");
  const payload = bandwidth(record({ ...base, budgetAccounting: "payload" }));
  assertEquals(
    payload.exceeded,
    true,
    "counting the 8-byte header, every member is 2% over (more than one period's slack)",
  );
  assertEquals(payload.membersOverBudget, 2);
});
