import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { mistakeBoundCurve, mistakeCurve, ModelParamError, roundsForMistake } from "../lib/model/gossip_markov.ts";
import { fullRoundsForMistake, meanFieldInfected, meanFieldMistakeBound } from "../lib/model/appendix_a.ts";
import { epidemicCurve, roundsToFraction } from "../lib/model/epidemic.ts";
import { swimExpectedDetectionPeriods, swimFalsePositiveProbability } from "../lib/model/swim.ts";
import { suspicionTimeoutMs } from "../lib/model/lifeguard.ts";
import { CASSANDRA_PHI_THRESHOLD, phi, phiTimeoutMs } from "../lib/model/phi_accrual.ts";

Deno.test("roundsForMistake() reproduces the paper's headline: n=50, f=1, no loss, 1e-3 gives T_fail 34.1 s", () => {
  const r = roundsForMistake({ members: 50, failed: 1 }, 1e-3);
  assertEquals(r, 1066);
  assertAlmostEquals((8 * r) / 250, 34.1, 0.05);
});

Deno.test("mistakeBoundCurve() starts at the whole group and falls monotonically", () => {
  const curve = mistakeBoundCurve({ members: 20, failed: 1 }, 2000);
  assertEquals(curve[0], 1);
  for (let r = 1; r < curve.length; r++) assert(curve[r]! <= curve[r - 1]!);
  assert(curve[2000]! < 1e-6);
});

Deno.test("roundsForMistake() grows with n and with loss", () => {
  let previous = 0;
  for (const members of [10, 25, 50, 100, 200]) {
    const r = roundsForMistake({ members, failed: 1 }, 1e-3);
    assert(r > previous, `n=${members}`);
    previous = r;
  }
  let prevLoss = 0;
  for (const loss of [0, 0.05, 0.1, 0.2, 0.5]) {
    const r = roundsForMistake({ members: 50, failed: 1, loss }, 1e-3);
    assert(r > prevLoss, `loss=${loss}`);
    prevLoss = r;
  }
});

Deno.test("mistakeBoundCurve() rejects parameters outside the model's domain, naming them", () => {
  const cases: [Parameters<typeof mistakeBoundCurve>[0], string][] = [
    [{ members: 1 }, "members"],
    [{ members: 2.5 }, "members"],
    [{ members: 10, failed: 9 }, "failed"],
    [{ members: 10, loss: 1 }, "loss"],
    [{ members: 10, loss: -0.1 }, "loss"],
  ];
  for (const [params, field] of cases) {
    const e = assertThrows(() => mistakeBoundCurve(params, 10), ModelParamError);
    assertEquals(e.param, field);
  }
  assertEquals(assertThrows(() => roundsForMistake({ members: 10 }, 1), ModelParamError).param, "pMistake");
});

Deno.test("mistakeCurve() converts time to rounds as r = T n / T_gossip and matches the chain", () => {
  const [p] = mistakeCurve({ members: 50, failed: 1 }, 1.6, [34.112]);
  assertEquals(p!.rounds, 1066);
  assert(p!.bound < 1e-3 && p!.bound > 5e-4, `bound ${p!.bound}`);
  assertAlmostEquals(p!.bound, 49 * p!.perEpisode, 1e-15);
  const [q] = mistakeCurve({ members: 50, failed: 1 }, 1.6, [34.08]);
  assert(q!.bound >= 1e-3, "one round less is above the target");
});

Deno.test("mistakeCurve() computes a full n = 1000 curve well under a second", () => {
  const started = performance.now();
  const seconds = Array.from({ length: 200 }, (_, i) => i * 10);
  const curve = mistakeCurve({ members: 1000, failed: 1 }, 32, seconds);
  assertEquals(curve.length, 200);
  // Not a speed assertion (tests must be deterministic): the bound is generous on purpose.
  assert(performance.now() - started < 5000);
});

Deno.test("T_fail grows as O(n log n) at fixed B", () => {
  // At fixed B, T_gossip grows as n; the rounds per T_gossip needed grow as log n.
  const ratios = [25, 50, 100, 200, 400].map((n) => {
    const tFail = (8 * roundsForMistake({ members: n, failed: 1 }, 1e-3)) / 250;
    return tFail / (n * Math.log(n));
  });
  const spread = Math.max(...ratios) / Math.min(...ratios);
  assert(spread < 1.6, `T_fail / (n ln n) varies by ${spread.toFixed(2)}x: ${ratios.map((r) => r.toFixed(4))}`);
});

Deno.test("meanFieldMistakeBound() (appendix A) falls with rounds and is close to the exact chain at larger n", () => {
  const bound = meanFieldMistakeBound({ members: 200, failed: 1 }, 100);
  for (let r = 1; r < bound.length; r++) assert(bound[r]! <= bound[r - 1]!);
  const full = fullRoundsForMistake({ members: 200, failed: 1 }, 1e-3); // T_gossip periods
  const exact = roundsForMistake({ members: 200, failed: 1 }, 1e-3) / 200;
  assert(Math.abs(full - exact) / exact < 0.35, `appendix A ${full} vs chain ${exact.toFixed(1)} periods`);
  assertEquals(meanFieldInfected({ members: 10 }, 0)[0], 1);
});

Deno.test("epidemicCurve(): push reaches everyone in O(log n) rounds, pull finishes faster, 50% loss about doubles push", () => {
  for (const n of [100, 1000, 10000]) {
    const push = epidemicCurve("push", { members: n }, 200);
    const r100 = roundsToFraction(push, n, 1)!;
    assert(r100 > Math.log2(n) && r100 < 2.5 * Math.log2(n), `push n=${n}: ${r100} rounds`);
    const pull = epidemicCurve("pull", { members: n }, 200);
    const pushTail = r100 - roundsToFraction(push, n, 0.5)!;
    const pullTail = roundsToFraction(pull, n, 1)! - roundsToFraction(pull, n, 0.5)!;
    assert(pullTail < pushTail, `n=${n}: pull second half ${pullTail} vs push ${pushTail}`);
    const lossy = roundsToFraction(epidemicCurve("push", { members: n, loss: 0.5 }, 400), n, 1)!;
    assert(lossy / r100 > 1.5 && lossy / r100 < 2.5, `n=${n}: 50% loss ${lossy} vs ${r100}`);
  }
  const pp = epidemicCurve("push-pull", { members: 1000 }, 50);
  assert(roundsToFraction(pp, 1000, 1)! <= roundsToFraction(epidemicCurve("push", { members: 1000 }, 50), 1000, 1)!);
});

Deno.test("swim formulas match the paper's values", () => {
  assertAlmostEquals(swimExpectedDetectionPeriods(1), 1.58198, 1e-5);
  assertAlmostEquals(swimExpectedDetectionPeriods(0.5), 2.54149, 1e-5);
  const table: [number, number, number, number][] = [[1, 0.95, 3, 9.844474622e-4], [0.9, 0.99, 3, 7.502285574e-5]];
  for (const [qf, qml, k, expected] of table) {
    assertAlmostEquals(swimFalsePositiveProbability({ qf, qml, k }), expected, expected * 1e-8);
  }
  assertThrows(() => swimExpectedDetectionPeriods(0), RangeError);
});

Deno.test("suspicionTimeoutMs() follows memberlist's formula", () => {
  const table: [number, number, number][] = [
    [100, 0, 48_000],
    [100, 1, 22_762.81],
    [100, 2, 8_000],
    [100, 5, 8_000],
    [5, 0, 24_000],
    [1000, 0, 72_000],
  ];
  for (const [members, confirmations, ms] of table) {
    assertAlmostEquals(suspicionTimeoutMs({ members, confirmations }).timeoutMs, ms, 0.01);
  }
});

Deno.test("phi() is -log10 of the normal upper tail, exact far into the tail", () => {
  const table: [number, number][] = [[0, 0.30103], [1, 0.79955], [2, 1.64302], [5, 6.54265]];
  for (const [z, expected] of table) assertAlmostEquals(phi(1000 + z * 100, 1000, 100), expected, 1e-5);
  assert(phi(1000 + 30 * 100, 1000, 100) > 100, "deep tail stays finite and large");
  assertAlmostEquals(phi(phiTimeoutMs(CASSANDRA_PHI_THRESHOLD, 1000, 100), 1000, 100), 8, 1e-6);
});
