// Simulation and sockets agree, measured: a small case run both ways meets the agreement criteria, the
// criteria judge as documented, and `harness agreement` and `harness compare --simulated` work end to end.
// deno-lint-ignore-file no-console -- the CLI test silences the CLI's output.
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { main } from "../harness/cli/main.ts";
import {
  agreementRow,
  countDeclarations,
  poissonRatesPValue,
  runAgreement,
  type RunFigures,
} from "../harness/studies/agreement.ts";
import { runComparison } from "../harness/studies/compare.ts";
import type { RunResult } from "../harness/run/result.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "agree-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** 20 members of the basic detector, one crash by proxy, speed-up 8 (about 4 s on sockets). */
const SMALL = {
  id: "basic-n20",
  what: "20 members, basic detector, one crash, speed-up 8",
  scenario: {
    name: "agree-basic-n20",
    members: 20,
    duration: { tGossip: 20, tFail: 1 },
    crashes: [{ member: 1, at: { tGossip: 5 } }],
    speedup: 8,
    seed: 1,
  },
};

Deno.test("a small case on sockets and simulated: detection within 10%, mistakes consistent, bytes within 2%", () =>
  inTempDir(async (dir) => {
    const report = await runAgreement({ outDir: dir, harnessVersion: "test", settings: [SMALL], seeds: 1, seed: 3 });
    const row = report.rows[0]!;
    // The criteria hold; the verdict also needs the real run above the noise floor, which a busy machine may deny.
    assertEquals([row.detection, row.mistakes, row.bandwidth], ["yes", "yes", "yes"]);
    assertEquals(row.verdict, row.real.faithful ? "agree" : "inconclusive", row.real.reasons.join("; "));
    assertEquals([row.real.detected, row.simulated.detected], [19, 19]);
    assert(Math.abs(row.detectionRatio! - 1) <= 0.1, `detection ratio ${row.detectionRatio}`);
    assert(row.mistakesP >= 0.01);
    assert(Math.abs(row.bandwidthRatio! - 1) <= 0.02, `bandwidth ratio ${row.bandwidthRatio}`);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/agreement.json`));
    assertEquals(saved.rows[0].verdict, row.verdict);
    const md = await Deno.readTextFile(`${dir}/agreement.md`);
    assert(md.includes("| basic-n20 | 3 |"), md);
    const sim = JSON.parse(await Deno.readTextFile(`${dir}/basic-n20/seed-3/simulated/result.json`));
    const real = JSON.parse(await Deno.readTextFile(`${dir}/basic-n20/seed-3/real/result.json`));
    assertEquals([sim.mode, real.mode], ["simulated", "real"]);
  }));

/** A run with just what the agreement row reads. */
function fake(latencies: number[], mistakes: number, bytesPerSec: number, faithful = true): RunFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    crashes: [{
      cause: "crash",
      detection: {
        latenciesMs: sorted,
        medianMs: sorted[sorted.length >> 1] ?? null,
        detected: sorted.length,
        observers: sorted.length,
      },
    }],
    mistakes: { count: mistakes, pairHours: 100 },
    bandwidth: { meanBytesPerSec: bytesPerSec },
    noise: { reasons: faithful ? [] : ["timer lateness"], latenessP99Ms: 1 },
    complete: true,
    reason: null,
    wallSeconds: 1,
  } as unknown as RunResult;
  return { result, declarations: mistakes };
}

Deno.test("agreementRow() pools seeds and judges each criterion at its bound", () => {
  const s = { id: "x", what: "x" };
  // Pooled latencies 1..6 (median 3.5) against 8% more: inside 10%; bytes 1.9% more: inside 2%.
  const agree = agreementRow(s, [1, 2], [fake([1, 2, 3], 0, 100), fake([4, 5, 6], 0, 100)], [
    fake([1.08, 2.16, 3.24], 0, 101.9),
    fake([4.32, 5.4, 6.48], 0, 101.9),
  ]);
  assertAlmostEquals(agree.detectionRatio!, 1.08, 1e-12);
  assertEquals([agree.verdict, agree.real.perSeedMedianMs], ["agree", [2, 5]]);
  const slow = agreementRow(s, [1], [fake([10], 0, 100)], [fake([11.5], 0, 100)]);
  assertEquals([slow.verdict, slow.detection], ["disagree", "no"]);
  const costly = agreementRow(s, [1], [fake([10], 0, 100)], [fake([10], 0, 103)]);
  assertEquals([costly.verdict, costly.bandwidth], ["disagree", "no"]);
  const mistaken = agreementRow(s, [1], [fake([10], 0, 100)], [fake([10], 12, 100)]);
  assertEquals([mistaken.verdict, mistaken.mistakes], ["disagree", "no"]);
  const noisy = agreementRow(s, [1], [fake([10], 0, 100, false)], [fake([10], 0, 100)]);
  assertEquals(noisy.verdict, "inconclusive");
  // 3% apart on average, but the seeds spread by ±10%: unresolved, so inconclusive, not a disagreement.
  const spread = agreementRow(s, [1, 2], [fake([10], 0, 90), fake([10], 0, 110)], [
    fake([10], 0, 93),
    fake([10], 0, 113),
  ]);
  assertEquals([spread.bandwidth, spread.verdict], ["unresolved", "inconclusive"]);
  assert(spread.bandwidthNoise! > 0.03);
  // The same 3% with seeds that agree to ±0.5%: a disagreement.
  const tight = agreementRow(s, [1, 2], [fake([10], 0, 99.5), fake([10], 0, 100.5)], [
    fake([10], 0, 102.5),
    fake([10], 0, 103.5),
  ]);
  assertEquals([tight.bandwidth, tight.verdict], ["no", "disagree"]);
});

Deno.test("countDeclarations() counts a subject's mistakes once per silence window", () => {
  const at = (subject: number, atMs: number) => ({ subject, atMs });
  // Subject 1: a burst of three (one declaration) and a later one; subject 2: one.
  assertEquals(countDeclarations([at(1, 0), at(1, 100), at(2, 150), at(1, 900), at(1, 5000)], 1000), 3);
  assertEquals(countDeclarations([], 1000), 0);
});

Deno.test("poissonRatesPValue() is the exact two-sided conditional test", () => {
  assertEquals(poissonRatesPValue(0, 1, 0, 1), 1);
  assertAlmostEquals(poissonRatesPValue(5, 1, 5, 1), 1, 1e-12);
  // 10 against 0 with equal exposure: 2 * 0.5^10.
  assertAlmostEquals(poissonRatesPValue(10, 1, 0, 1), 2 * 0.5 ** 10, 1e-12);
  assertAlmostEquals(poissonRatesPValue(0, 1, 10, 1), 2 * 0.5 ** 10, 1e-12);
  assert(poissonRatesPValue(3, 1, 1, 1) > 0.5);
});

Deno.test("harness compare --simulated puts each variant's real and simulated runs side by side", () =>
  inTempDir(async (dir) => {
    const rows = await runComparison(
      { name: "cmp-sim", members: 8, duration: 20_000, speedup: 5, seed: 4, crashes: [{ member: 1, at: 5000 }] },
      ["basic"],
      { outDir: dir, harnessVersion: "test", simulated: true },
    );
    assertEquals(rows.map((r) => r.variant), ["basic", "basic (simulated)"]);
    assertEquals(rows.map((r) => r.detectedFraction), [1, 1]);
    const md = await Deno.readTextFile(`${dir}/compare.md`);
    assert(md.includes("| basic (simulated) |"), md);
    const log = console.log, error = console.error;
    console.log = console.error = () => {};
    try {
      assertEquals(await main(["agreement", "--settings", "nope", "-o", `${dir}/a`]), 2);
    } finally {
      console.log = log;
      console.error = error;
    }
  }));
