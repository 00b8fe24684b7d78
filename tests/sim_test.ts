// deno-lint-ignore-file no-console -- the CLI test silences the CLI's output.
// The simulator (harness/sim/): scenarios run in virtual time through the same detectors, fault decisions,
// journal and analysis as runs on real sockets.
import { assert, assertEquals } from "@std/assert";
import { main } from "../harness/cli/main.ts";
import type { RunResult } from "../harness/run/result.ts";
import { runScenario } from "../harness/run/run.ts";
import { resolveScenario, type ScenarioInput } from "../harness/scenario/mod.ts";
import { EventKind, EventQueue, simulateScenario } from "../harness/sim/mod.ts";
import { assertReanalysisEquals } from "./_reanalysis.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sim-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function simulate(input: ScenarioInput, outDir: string): Promise<RunResult> {
  return simulateScenario({ scenario: resolveScenario(input), outDir });
}

function assertBooks(r: RunResult): void {
  const p = r.proxy!;
  assert(p.sentReconciles && p.receivedReconciles && p.balances, JSON.stringify(p.mismatches));
  assertEquals(r.noise.undelivered, 0);
  assertEquals(r.noise.reasons, []);
}

Deno.test("EventQueue pops in (time, push order) and grows without losing events", () => {
  const q = new EventQueue(16);
  const times = Array.from({ length: 500 }, (_, i) => (i * 7919) % 97);
  times.forEach((t, i) => q.push(t, EventKind.Deliver, i, -i, i % 3 === 0 ? new Uint8Array([i & 255]) : null));
  let last = -1;
  let lastA = -1;
  let count = 0;
  while (q.pop()) {
    assert(q.time > last || (q.time === last && q.a > lastA), `order at ${count}: ${q.time}/${q.a}`);
    assertEquals(q.b, -q.a);
    assertEquals(q.payload?.[0] ?? null, q.a % 3 === 0 ? q.a & 255 : null);
    last = q.time;
    lastA = q.a;
    count++;
  }
  assertEquals(count, 500);
  assertEquals(q.size, 0);
});

Deno.test("simulated basic detector: a crash is detected by every live observer, no mistakes, books balance", () =>
  inTempDir(async (dir) => {
    const r = await simulate({
      name: "sim-basic-crash",
      members: 30,
      pMistake: 1e-6,
      duration: { tGossip: 60, tFail: 1 },
      crashes: [{ member: 5, at: { tGossip: 10 } }],
      seed: 3,
    }, dir);
    assertEquals(r.mode, "simulated");
    assert(r.complete && r.faithful, r.noise.reasons.join("; "));
    const d = r.crashes[0]!.detection;
    assertEquals([d.detected, d.observers], [29, 29]);
    assertEquals(r.mistakes.count, 0);
    assertBooks(r);
    assert(r.proxy!.blackholed > 0);
    assert(r.noise.notApplicable.includes("latenessP99Ms") && r.noise.notApplicable.includes("kernelDrops"));
    assertEquals([r.noise.harnessCpuCores, r.noise.harnessPeakRssBytes], [null, null]);
    const log = (await Deno.readTextFile(`${dir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(log[0].mode, "simulated");
    assert(log.some((e) => e.type === "fault" && e.fault === "crash" && e.member === 5));
    assert(log.some((e) => e.type === "stats" && e.sent.length === 30 && e.latenessP99Ms === null));
    await assertReanalysisEquals(dir);
  }));

Deno.test("simulated SWIM with 5% loss: the crash is detected by every live observer, no mistakes", () =>
  inTempDir(async (dir) => {
    const r = await simulate({
      name: "sim-swim-loss",
      detector: "swim",
      members: 30,
      loss: 0.05,
      duration: 60_000,
      crashes: [{ member: 7, at: 10_000 }],
      seed: 3,
    }, dir);
    const d = r.crashes[0]!.detection;
    assertEquals([d.detected, d.observers], [29, 29]);
    assertEquals(r.mistakes.count, 0);
    assertBooks(r);
    assert(r.proxy!.measuredLoss > 0.03 && r.proxy!.measuredLoss < 0.07, `loss ${r.proxy!.measuredLoss}`);
    assert(r.proxy!.rules.some((rule) => rule.id === "default-loss" && rule.counters.dropped === r.proxy!.lost));
  }));

Deno.test("simulated partition, impairments, pause and kill: faults as scheduled, broadcasts re-merge, books balance", () =>
  inTempDir(async (dir) => {
    const r = await simulate({
      name: "sim-schedule",
      members: 24,
      pMistake: 1e-6,
      duration: { tGossip: 120, tFail: 1 },
      // Catastrophe recovery's broadcasts re-merge the halves after the heal.
      catastrophe: { meanIntervalSeconds: 2 },
      faults: [
        { kind: "partition", at: { tGossip: 10 }, shape: "halves", healAfter: { tFail: 1.5 } },
        {
          kind: "impair",
          at: { tGossip: 5 },
          for: { tGossip: 40 },
          rule: { id: "slow", impairment: { kind: "delay", ms: 30, jitterMs: 10 } },
        },
        {
          kind: "impair",
          at: { tGossip: 5 },
          for: { tGossip: 40 },
          rule: { id: "dup", impairment: { kind: "duplicate", probability: 0.2 } },
        },
        {
          kind: "impair",
          at: { tGossip: 5 },
          for: { tGossip: 40 },
          rule: { id: "flip", probability: 0.05, impairment: { kind: "corrupt", probability: 1 } },
        },
        { kind: "pause", at: { tGossip: 60 }, member: 2, for: { tGossip: 4 } },
        { kind: "kill", at: { tGossip: 70 }, member: 9, restartAfter: { tFail: 1.5 } },
      ],
      seed: 11,
    }, dir);
    assert(r.complete, r.error ?? "");
    assertBooks(r);
    const p = r.proxy!;
    assert(p.partitioned > 0 && p.duplicated > 0, JSON.stringify(p));
    const rules = new Map(p.rules.map((rule) => [rule.id, rule.counters]));
    assert(rules.get("slow")!.delayed > 0 && rules.get("flip")!.corrupted > 0);
    assert(r.members.malformedDropped > 0, "some corrupted copies failed to decode");
    assertEquals(r.remerges!.length, 1);
    assertEquals(r.remerges![0]!.remerged, r.remerges![0]!.pairs, "every split pair is back after the heal");
    const kill = r.crashes.find((c) => c.cause === "kill")!;
    assertEquals(kill.detection.detected, kill.detection.observers);
    const log = (await Deno.readTextFile(`${dir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    const faults = log.filter((e) => e.type === "fault").map((e) => e.fault);
    for (const f of ["partition", "heal", "addRule", "removeRule", "pause", "resume", "kill", "restart"]) {
      assert(faults.includes(f), `${f} carried out`);
    }
  }));

Deno.test("simulated catastrophe recovery over a topology: broadcasts fan out per subnet, books balance", () =>
  inTempDir(async (dir) => {
    const r = await simulate({
      name: "sim-catastrophe",
      members: 24,
      duration: { tGossip: 60 },
      topology: { domains: 2, subnetsPerDomain: 2 },
      catastrophe: { meanIntervalSeconds: 2 },
      seed: 5,
    }, dir);
    assertBooks(r);
    assert(r.broadcasts!.broadcasts > 0 && r.broadcasts!.copies === 5 * r.broadcasts!.broadcasts);
    assert(r.levels !== null && r.levels!.crossDomainBytesPerSec > 0);
  }));

Deno.test("simulated episodes are measured as in a run on sockets", () =>
  inTempDir(async (dir) => {
    const r = await simulate({
      name: "sim-episodes",
      members: 16,
      failed: 1,
      measureEpisodes: true,
      duration: { tGossip: 30, tFail: 2 },
      seed: 2,
    }, dir);
    const e = r.episodes!;
    assert(e.tracked > 100 && e.fullyLearned > 0, JSON.stringify(e));
    assertEquals(e.expectedObservers, 14);
  }));

function withoutWallClock(r: RunResult): unknown {
  return { ...r, startedAt: null, wallSeconds: null };
}

Deno.test("the same seed gives the same result.json (but for when and how long), another seed another", () =>
  inTempDir(async (dir) => {
    const input: ScenarioInput = {
      name: "sim-determinism",
      detector: "swim",
      members: 40,
      loss: 0.02,
      duration: 30_000,
      crashes: [{ member: 3, at: 8000 }],
      faults: [{
        kind: "impair",
        at: 2000,
        for: 10_000,
        rule: { id: "jitter", impairment: { kind: "delay", ms: 5, jitterMs: 4 } },
      }],
      seed: 21,
    };
    const a = await simulate(input, `${dir}/a`);
    const b = await simulate(input, `${dir}/b`);
    const c = await simulate({ ...input, seed: 22 }, `${dir}/c`);
    const read = async (d: string) => JSON.parse(await Deno.readTextFile(`${d}/result.json`)) as RunResult;
    assertEquals(withoutWallClock(await read(`${dir}/a`)), withoutWallClock(await read(`${dir}/b`)));
    assertEquals(withoutWallClock(a), withoutWallClock(b));
    assert(JSON.stringify(withoutWallClock(a)) !== JSON.stringify(withoutWallClock(c)), "another seed, another run");
    const events = async (d: string) =>
      (await Deno.readTextFile(`${d}/events.jsonl`)).split("\n").filter((l) => l.startsWith('{"t":'));
    assertEquals(await events(`${dir}/a`), await events(`${dir}/b`));
  }));

/** Every key path of a JSON value (array elements under `[]`). */
function keyPaths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) keyPaths(v, `${prefix}[]`, out);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.add(`${prefix}.${k}`);
      keyPaths(v, `${prefix}.${k}`, out);
    }
  }
  return out;
}

Deno.test("a simulated result.json has the keys of a result.json from real sockets", () =>
  inTempDir(async (dir) => {
    const input: ScenarioInput = {
      name: "schema-twins",
      members: 8,
      pMistake: 1e-3,
      duration: { tGossip: 16 },
      speedup: 2,
      crashes: [{ member: 2, at: { tGossip: 4 } }],
      seed: 7,
    };
    const scenario = resolveScenario(input);
    await runScenario({ scenario, outDir: `${dir}/real` });
    await simulateScenario({ scenario, outDir: `${dir}/sim` });
    const real = JSON.parse(await Deno.readTextFile(`${dir}/real/result.json`));
    const sim = JSON.parse(await Deno.readTextFile(`${dir}/sim/result.json`));
    assertEquals(real.mode, "real");
    assertEquals(real.noise.notApplicable, []);
    assertEquals(sim.mode, "simulated");
    // Per-shard lateness and its timeline are empty lists in virtual time: their elements' keys are absent.
    const skip = (p: string) => p.startsWith(".noise.perShard[]") || p.startsWith(".noise.timeline[]");
    const realKeys = [...keyPaths(real)].filter((p) => !skip(p)).sort();
    const simKeys = [...keyPaths(sim)].filter((p) => !skip(p)).sort();
    assertEquals(simKeys, realKeys);
  }));

Deno.test("harness run --simulate writes a simulated result and rejects a real run above the socket limit", () =>
  inTempDir(async (dir) => {
    const file = `${dir}/s.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ name: "cli-sim", detector: "swim", members: 20, duration: 10_000 }),
    );
    const log = console.log;
    const err = console.error;
    const errors: string[] = [];
    console.log = () => {};
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    try {
      assertEquals(await main(["run", file, "--simulate", "-o", `${dir}/out`, "--no-progress", "--no-color"]), 0);
      assertEquals(await main(["run", file, "--members", "9000", "-o", `${dir}/no`]), 2);
    } finally {
      console.log = log;
      console.error = err;
    }
    const r = JSON.parse(await Deno.readTextFile(`${dir}/out/result.json`));
    assertEquals([r.mode, r.config.n, r.faithful], ["simulated", 20, true]);
    assert(errors.some((e) => e.includes("--simulate")), errors.join("\n"));
  }));

Deno.test("an aborted simulation ends early (a paused member resumed) with partial results whose books balance", () =>
  inTempDir(async (dir) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 300);
    const scenario = resolveScenario({
      name: "sim-abort",
      detector: "swim",
      members: 400,
      duration: 3_600_000,
      // Paused when the run is cut short: resumed first, so what it held is counted.
      faults: [{ kind: "pause", at: 1000, member: 4, for: 3_000_000 }],
    });
    const r = await simulateScenario({ scenario, outDir: dir, signal: controller.signal });
    clearTimeout(timer);
    assertEquals([r.complete, r.interrupted, r.reason, r.faithful], [false, true, "interrupted", false]);
    assert(r.measuredMs > 0 && r.measuredMs < 3_600_000, `measured ${r.measuredMs}`);
    assertBooks(r);
  }));
