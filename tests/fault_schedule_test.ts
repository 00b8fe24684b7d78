import { assert, assertEquals, assertThrows } from "@std/assert";
import { compileSchedule } from "../harness/faults/schedule.ts";
import { resolveScenario, ScenarioError } from "../harness/scenario/mod.ts";

const base = { name: "f", members: 6, duration: 100_000, tFailMs: 5000 };

Deno.test("compileSchedule() pairs every fault with its heal and heals what is open at the end", () => {
  const actions = compileSchedule(
    [
      { kind: "crash", atMs: 1000, member: 1, recoverAtMs: 5000 },
      { kind: "partition", atMs: 2000, partition: { shape: "halves" } },
      { kind: "pause", atMs: 3000, member: 2, resumeAtMs: 4000 },
      { kind: "impair", atMs: 500, rule: { id: "d", impairment: { kind: "delay", ms: 5 } }, untilMs: 5000 },
      { kind: "kill", atMs: 6000, member: 3 },
    ],
    6,
    10_000,
  );
  assertEquals(actions.map((a) => `${a.atMs}:${a.type}`), [
    "500:addRule",
    "1000:crash",
    "2000:partition",
    "3000:pause",
    "4000:resume",
    "5000:recover",
    "5000:removeRule",
    "6000:kill",
    "10000:heal",
    "10000:restart",
  ]);
  const partition = actions.find((a) => a.type === "partition");
  assert(partition && partition.type === "partition" && partition.cuts.length === 18);
});

Deno.test("resolveScenario() rejects bad schedules with one error naming the fault", () => {
  const cases: [unknown[], string, string][] = [
    [[{ kind: "crash", at: 1000, member: 9 }], "faults[0].member", "does not exist"],
    [[{ kind: "crash", at: -5, member: 1 }], "faults[0].at", ""],
    [[{ kind: "pause", at: 1000, member: 1 }], "faults[0].for", ""],
    [
      [{ kind: "partition", at: 1000, shape: "halves" }, { kind: "partition", at: 2000, shape: "isolate", member: 1 }],
      "faults[1]",
      "overlaps",
    ],
    [[{ kind: "partition", at: 1000, shape: "isolate" }], "faults[0].member", "needs 'member'"],
    [[{ kind: "partition", at: 1000, shape: "triangle" }], "faults[0].shape", ""],
    [
      [{ kind: "crash", at: 1000, member: 1 }, { kind: "pause", at: 2000, member: 1, for: 1000 }],
      "faults[1]",
      "overlaps",
    ],
    [
      [{ kind: "impair", at: 0, rule: { id: "l", impairment: { kind: "loss", probability: 1.2 } } }],
      "faults[0].rule.impairment.probability",
      "[0, 1]",
    ],
    [
      [{ kind: "impair", at: 0, rule: { id: "l", impairment: { kind: "teleport" } } }],
      "faults[0].rule.impairment.kind",
      "known impairment",
    ],
    [
      [{ kind: "impair", at: 0, rule: { id: "l", to: [7], impairment: { kind: "loss", probability: 0.1 } } }],
      "faults[0].rule.to",
      "member 7",
    ],
    [[{ kind: "crash", at: 200_000, member: 1 }], "faults[0].at", "after the end"],
    [[{ kind: "crash", at: 1000, member: 1, recoverAfter: 0 }], "faults[0].recoverAt", "after"],
    [[{ kind: "explode", at: 1000 }], "faults[0].kind", ""],
  ];
  for (const [faults, field, text] of cases) {
    const e = assertThrows(
      () => resolveScenario({ ...base, faults }),
      ScenarioError,
      undefined,
      JSON.stringify(faults),
    );
    assertEquals(e.field, field, `${JSON.stringify(faults)}: ${e.message}`);
    if (text) assert(e.message.includes(text), `${e.message} should mention ${text}`);
  }
  const e = assertThrows(
    () => resolveScenario({ ...base, impairments: [{ id: "x", impairment: { kind: "rate", bytesPerSec: -1 } }] }),
    ScenarioError,
  );
  assertEquals(e.field, "impairments[0].impairment.bytesPerSec");
});

Deno.test("resolveScenario() turns relative heal times into absolute ones and adds a recovery window", () => {
  const s = resolveScenario({
    ...base,
    faults: [
      { kind: "crash", at: { tFail: 1 }, member: 1, recoverAfter: { tFail: 2 } },
      { kind: "impair", at: 0, rule: { id: "j", impairment: { kind: "delay", ms: 5, jitterMs: 2 } }, for: 1000 },
    ],
  });
  assertEquals(s.faults[0], { kind: "crash", atMs: 5000, member: 1, recoverAtMs: 15_000 });
  assertEquals(s.recoveryMs, 5 * s.gossip.tGossipMs);
  assertEquals(resolveScenario(base).recoveryMs, 0);
});
