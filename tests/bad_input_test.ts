// deno-lint-ignore-file no-console -- the CLI cases silence the CLI's output.
// Every malformed scenario field and flag is exit 2 with one line naming the field or flag, the allowed range and the
// value given; never a stack trace.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { main } from "../harness/cli/main.ts";
import { resolveScenario, ScenarioError, scenarioSchema } from "../harness/scenario/mod.ts";

const base = { name: "bad", duration: 10_000 };

/** For every scenario field: a value of the wrong type and one out of its range (null: the field has no range). */
const FIELDS: Record<string, { wrongType: unknown; outOfRange: unknown; extra?: Record<string, unknown> }> = {
  name: { wrongType: 5, outOfRange: "" },
  description: { wrongType: 5, outOfRange: "x".repeat(1001) },
  members: { wrongType: "50", outOfRange: 20_001 },
  budgetBytesPerSec: { wrongType: "250", outOfRange: 7 },
  budgetAccounting: { wrongType: 1, outOfRange: "bits" },
  pMistake: { wrongType: "0.001", outOfRange: 1 },
  modelFailed: { wrongType: true, outOfRange: -1 },
  modelLoss: { wrongType: "0", outOfRange: 1 },
  tFailMs: { wrongType: "5s", outOfRange: 0 },
  tCleanupMs: { wrongType: [], outOfRange: -5 },
  loss: { wrongType: "5%", outOfRange: 1.5 },
  duration: { wrongType: "10s", outOfRange: -1 },
  speedup: { wrongType: "2x", outOfRange: 1001 },
  seed: { wrongType: "1", outOfRange: 2 ** 32 },
  shards: { wrongType: 1.5, outOfRange: 65 },
  basePort: { wrongType: "7000", outOfRange: 65536 },
  crashes: { wrongType: {}, outOfRange: [{ member: -1, at: 0 }] },
  failed: { wrongType: "1", outOfRange: -1 },
  faults: { wrongType: {}, outOfRange: [{ kind: "crash", at: -1, member: 0 }] },
  impairments: { wrongType: {}, outOfRange: [{ id: "x", impairment: { kind: "loss", probability: 2 } }] },
  recovery: { wrongType: "5", outOfRange: -1 },
  hosting: { wrongType: 1, outOfRange: "threads" },
  detector: { wrongType: 1, outOfRange: "gossip-2" },
  dissemination: { wrongType: 1, outOfRange: "flood" },
  topology: { wrongType: 3, outOfRange: { domains: 0 } },
  catastrophe: { wrongType: true, outOfRange: { meanIntervalSeconds: 25 } },
  measureEpisodes: { wrongType: "yes", outOfRange: null },
  episodeHorizon: { wrongType: "long", outOfRange: -1 },
  faithfulLatenessFraction: { wrongType: "5%", outOfRange: 0 },
  phi: { wrongType: 8, outOfRange: { threshold: 0 }, extra: { detector: "phi" } },
  swim: { wrongType: 1, outOfRange: { indirectChecks: 65 }, extra: { detector: "swim" } },
  neighbor: { wrongType: 1, outOfRange: { quorum: 0 }, extra: { detector: "neighbor" } },
  memberlist: { wrongType: 1, outOfRange: { preset: "huge" }, extra: { detector: "memberlist", speedup: 1 } },
  serf: { wrongType: 1, outOfRange: { profile: "huge" }, extra: { detector: "serf", speedup: 1 } },
};

Deno.test("the bad-input table covers every scenario field", () => {
  assertEquals(Object.keys(FIELDS).sort(), Object.keys(scenarioSchema.shape).sort());
});

for (const [field, { wrongType, outOfRange, extra }] of Object.entries(FIELDS)) {
  Deno.test(`resolveScenario() names '${field}' with its range and the value given: wrong type, out of range`, () => {
    for (const value of [wrongType, ...(outOfRange === null ? [] : [outOfRange])]) {
      const e = assertThrows(() => resolveScenario({ ...base, ...extra, [field]: value }), ScenarioError);
      assert(
        e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`),
        `${e.field} ← ${field}`,
      );
      assert(!e.message.includes("\n"), "one line");
      assert(/current value is|must be|is required|unknown|names member/.test(e.message), e.message);
    }
  });
}

Deno.test("resolveScenario() rejects an unknown key at every level, naming its path", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...base, bogus: 1 }, "bogus"],
    [{ ...base, topology: { domains: 1, bogus: 1 } }, "topology.bogus"],
    [{ ...base, catastrophe: { bogus: 1 } }, "catastrophe.bogus"],
    [{ ...base, duration: { seconds: 5 } }, "duration.seconds"],
    [{ ...base, crashes: [{ member: 1, at: 0, bogus: 1 }] }, "crashes[0].bogus"],
    [{ ...base, faults: [{ kind: "crash", at: 0, member: 1, bogus: 1 }] }, "faults[0].bogus"],
    [
      { ...base, impairments: [{ id: "x", impairment: { kind: "loss", probability: 0.1 }, bogus: 1 }] },
      "impairments[0].bogus",
    ],
    [
      { ...base, impairments: [{ id: "x", impairment: { kind: "loss", probability: 0.1, bogus: 1 } }] },
      "impairments[0].impairment.bogus",
    ],
    [{ ...base, detector: "swim", swim: { bogus: 1 } }, "swim.bogus"],
    [{ ...base, detector: "phi", phi: { bogus: 1 } }, "phi.bogus"],
    [{ ...base, detector: "neighbor", neighbor: { bogus: 1 } }, "neighbor.bogus"],
  ];
  for (const [input, field] of cases) {
    const e = assertThrows(() => resolveScenario(input), ScenarioError);
    assertEquals(e.field, field, e.message);
    assert(e.message.includes("unknown field"), e.message);
  }
});

Deno.test("resolveScenario() findings 8-9: rule ids, reserved loss, ports, whole-value errors, Infinity, missing fields", () => {
  const cases: [unknown, string, string][] = [
    [
      {
        ...base,
        impairments: [{ id: "x", impairment: { kind: "delay", ms: 1 } }],
        faults: [{ kind: "impair", at: 0, rule: { id: "x", impairment: { kind: "loss", probability: 0.5 } } }],
      },
      "faults[0].rule.id",
      "already the whole-run rule",
    ],
    [
      {
        ...base,
        faults: [{
          kind: "impair",
          at: 0,
          rule: { id: "default-loss", impairment: { kind: "loss", probability: 0.5 } },
        }],
      },
      "faults[0].rule.id",
      "'loss'",
    ],
    [
      { ...base, impairments: [{ id: "default-loss", impairment: { kind: "loss", probability: 0.5 } }] },
      "impairments[0].id",
      "reserved",
    ],
    [{ ...base, members: 10, basePort: 65520 }, "basePort", "65535"],
    [null, "", "JSON object"],
    [[], "", "JSON object"],
    [{ name: "x" }, "duration", "required"],
    [{ ...base, loss: Infinity }, "loss", "Infinity"],
    [{ ...base, duration: { seconds: 5 } }, "duration.seconds", "unknown"],
  ];
  for (const [input, field, text] of cases) {
    const e = assertThrows(() => resolveScenario(input), ScenarioError);
    assertEquals(e.field, field, e.message);
    assert(e.message.includes(text), `${e.message} should mention ${text}`);
  }
});

async function cli(args: string[]): Promise<{ code: number; errors: string[] }> {
  const errors: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = () => {};
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    return { code: await main(args), errors };
  } finally {
    console.log = log;
    console.error = err;
  }
}

Deno.test("main() findings 8-10: loose and repeated flags, bad --out, a derived field names the flag, exit 2 on one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bad-input-" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await Deno.mkdir(`${dir}/run`);
    await Deno.writeTextFile(`${dir}/run/result.json`, "{}");
    const cases: [string[], string][] = [
      [["run", "demo", "--members", "0x5"], "--members"],
      [["run", "demo", "--members", "1e1"], "--members"],
      [["run", "demo", "--members", "5", "--members", "6"], "--members"],
      [["run", "demo", "--loss", "Infinity"], "--loss"],
      [["run", "demo", "--base-port", "65500"], "--base-port"],
      [["run", "demo", "--members", "2"], "--members 2"],
      [["run", "demo", "--out", "/proc/x"], "--out"],
      [["run", "demo", "--out", `${dir}/file`], "--out"],
      [["run", "demo", "--out", `${dir}/file/below`], "--out"],
      [["run", "demo", "--out", `${dir}/run`], "--force"],
      [["analyze", `${dir}/nothing`], "<dir>"],
    ];
    for (const [args, text] of cases) {
      const { code, errors } = await cli([...args, "--no-color"]);
      assertEquals(code, 2, `${args.join(" ")}: ${errors.join("\n")}`);
      assertEquals(errors.length, 1, errors.join("\n"));
      assert(errors[0]!.includes(text), `${errors[0]} should name ${text}`);
      assert(!errors[0]!.includes("    at "), "no stack trace");
      assert(!errors[0]!.includes("\x1b["), "--no-color reaches error text");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
