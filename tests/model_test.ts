import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { mistakeBoundCurve, ModelParamError, roundsForMistake } from "../lib/model/gossip_markov.ts";

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
