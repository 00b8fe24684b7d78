// deno-lint-ignore-file no-console -- the CLI test silences the CLI's error output.
import { assert, assertEquals } from "@std/assert";
import { heartbeatListBytes } from "../lib/basic/codec.ts";
import { runScenario } from "../harness/run/run.ts";
import { resolveScenario } from "../harness/scenario/mod.ts";
import { main } from "../harness/cli/main.ts";
import { runValidation } from "../harness/studies/validate_run.ts";
import { shardLayout } from "../harness/hosting/shard_fleet.ts";
import { SCENARIOS } from "../scenarios/mod.ts";
import { renderValidation } from "../harness/report/summary.ts";
import { setColorEnabled } from "@std/fmt/colors";
import { assertReanalysisEquals } from "./_reanalysis.ts";

// Integration tests on real sockets, a real proxy process and real workers.
// Assertions are on counts and generous windows, never on speed.

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runScenario() detects a crash by proxy at every live observer, within T_fail plus propagation", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({
      name: "crash-small",
      members: 12,
      pMistake: 1e-6,
      duration: { tGossip: 35, tFail: 1 },
      speedup: 4,
      seed: 3,
      crashes: [{ member: 5, at: { tGossip: 8 } }],
    });
    const r = await runScenario({ scenario, outDir });
    const [crash] = r.crashes;
    const d = crash!.detection;
    assertEquals(d.observers, 11);
    assertEquals(d.detected, 11, "every live observer detected the crash");
    const { tFailMs, tGossipMs } = scenario.gossip;
    assert(d.firstMs! >= tFailMs - 2 * tGossipMs, `first ${d.firstMs} vs T_fail ${tFailMs}`);
    assert(d.fullMs! <= tFailMs + 20 * tGossipMs, `full ${d.fullMs} vs T_fail ${tFailMs}`);
    assertEquals(r.mistakes.count, 0);
    assertEquals(r.mistakes.isolatedObserverDetections, 11, "the cut-off member suspects everyone, not counted");
    assert(r.proxy!.sentReconciles && r.proxy!.receivedReconciles, JSON.stringify(r.proxy!.mismatches));
    assert(r.proxy!.blackholed > 0);
    const saved = JSON.parse(await Deno.readTextFile(`${outDir}/result.json`));
    assertEquals(saved.crashes[0].detection.detected, 11);
    const log = (await Deno.readTextFile(`${outDir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assert(log.some((e) => e.fault === "crash" && e.member === 5));
  }));

Deno.test("runScenario() without faults: no mistakes, bytes equal the codec's sizes, proxy counts reconcile", () =>
  inTempDir(async (outDir) => {
    const members = 16;
    const scenario = resolveScenario({
      name: "quiet-small",
      members,
      pMistake: 1e-6,
      duration: { tGossip: 25 },
      speedup: 5,
      seed: 4,
    });
    const r = await runScenario({ scenario, outDir });
    assertEquals(r.mistakes.count, 0);
    assertEquals(r.members.malformedDropped, 0);
    // Every datagram is one full list of n entries, so bytes = datagrams x its encoded size.
    const perDatagram = heartbeatListBytes(members);
    const seconds = r.measuredMs / 1000;
    assert(
      Math.abs(r.bandwidth.meanBytesPerSec * seconds / perDatagram - r.bandwidth.meanDatagramsPerSec * seconds) <
        1e-6,
    );
    assert(r.proxy!.sentReconciles && r.proxy!.receivedReconciles, JSON.stringify(r.proxy!.mismatches));
    assertEquals(r.proxy!.lost, 0);
    assertEquals(r.noise.undelivered, 0);
  }));

Deno.test("runScenario() with loss: the proxy's drops account for every datagram members sent and did not receive", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({
      name: "lossy-small",
      members: 10,
      loss: 0.25,
      duration: { tGossip: 30 },
      speedup: 5,
      seed: 6,
    });
    const r = await runScenario({ scenario, outDir });
    const p = r.proxy!;
    assert(p.sentReconciles && p.receivedReconciles, JSON.stringify(p.mismatches));
    const sent = r.bandwidth.meanDatagramsPerSec * 10 * (r.measuredMs / 1000);
    assert(Math.abs(sent - (p.relayed + p.lost + p.blackholed + p.sendErrors)) < 1e-6);
    assert(p.lost > 0);
    assert(p.balances, "the proxy's books balance");
    assert(p.measuredLoss > 0.1 && p.measuredLoss < 0.4, `measured loss ${p.measuredLoss}`);
  }));

Deno.test("runScenario() interrupted: stops early, closes everything, writes partial results", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({ name: "long", members: 8, duration: 3_600_000, speedup: 1, seed: 2 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 800);
    const started = Date.now();
    const r = await runScenario({ scenario, outDir, signal: controller.signal });
    assert(Date.now() - started < 10_000);
    assertEquals([r.complete, r.interrupted], [false, true]);
    assert(r.measuredMs < 5_000);
    const saved = JSON.parse(await Deno.readTextFile(`${outDir}/result.json`));
    assertEquals(saved.interrupted, true);
  }));

Deno.test("main() exits 2 on bad input and names the flag or field", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assertEquals(await main(["run", "demo", "--members", "1"]), 2);
    assertEquals(await main(["run", "demo", "--loss", "1.5"]), 2);
    assertEquals(await main(["run", "no-such-scenario"]), 2);
    assertEquals(await main(["run", "demo", "--members", "4", "--duration", "0.5"]), 2);
    assertEquals(await main(["run", "demo", "--bogus"]), 2);
  } finally {
    console.error = original;
  }
  assert(errors.some((e) => e.includes("Unknown scenario 'no-such-scenario'")), errors.join("\n"));
  assert(errors.some((e) => e.includes("crashes[0].at")), errors.join("\n"));
});

Deno.test("main() model --json answers the headline and rejects parameters outside the model's domain", async () => {
  const printed: string[] = [];
  const original = console.log;
  const originalError = console.error;
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  console.error = () => {};
  try {
    assertEquals(
      await main(["model", "--members", "50", "--failed", "1", "--budget", "250", "--p-mistake", "1e-3", "--json"]),
      0,
    );
    const answer = JSON.parse(printed.join("\n"));
    assertEquals(answer.rounds, 1066);
    assertEquals(answer.tGossipSeconds, 1.6);
    assertEquals(Math.round(answer.tFailSeconds * 10) / 10, 34.1);
    assertEquals(await main(["model", "--members", "10", "--failed", "10"]), 2);
    assertEquals(await main(["model", "--loss", "1"]), 2);
    assertEquals(await main(["model", "--p-mistake", "1.5"]), 2);
    assertEquals(await main(["model", "--members", "7.5"]), 2);
  } finally {
    console.log = original;
    console.error = originalError;
  }
});

Deno.test("runValidation() on real sockets writes validation.json with one row per T", () =>
  inTempDir(async (outDir) => {
    const { file } = await runValidation({ members: 12, failed: 1, speedup: 5, episodes: 400, outDir, seed: 9 });
    const saved = JSON.parse(await Deno.readTextFile(`${outDir}/validation.json`));
    assertEquals(saved.rows.length, file.rows.length);
    assert(file.rows.length >= 5);
    assert(file.rows[0]!.episodes >= 300, `episodes ${file.rows[0]!.episodes}`);
    for (let i = 1; i < file.rows.length; i++) {
      assert(file.rows[i]!.measuredPerEpisode <= file.rows[i - 1]!.measuredPerEpisode, "misses fall with T");
      assert(file.rows[i]!.modelPerEpisode <= file.rows[i - 1]!.modelPerEpisode);
    }
    for (const r of file.rows) assert(file.conclusive ? r.verdict !== "inconclusive" : r.verdict === "inconclusive");
    assert(file.infection.length > 0);
    assert((await Deno.readTextFile(`${outDir}/episodes.csv`)).split("\n").length > 300);
    // The table's header names every column its rows have.
    setColorEnabled(false);
    const table = renderValidation(file, outDir).split("\n").filter((l) => /^\s*(T \(s\)|\d+\.\d\d) /.test(l));
    setColorEnabled(true);
    assert(table.length === file.rows.length + 1, table.join("\n"));
    for (const line of table) assertEquals(line.length, table[0]!.length, table.join("\n"));
  }));

Deno.test("runScenario() carries out a fault schedule: detections by cause, heals, and balanced proxy books", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({
      name: "schedule-small",
      members: 10,
      pMistake: 1e-6,
      duration: { tFail: 5 },
      speedup: 6,
      seed: 5,
      faults: [
        { kind: "crash", at: { tFail: 0.5 }, member: 1, recoverAfter: { tFail: 1.5 } },
        { kind: "pause", at: { tFail: 0.5 }, member: 2, for: { tFail: 1.5 } },
        { kind: "partition", at: { tFail: 2.5 }, shape: "isolate", member: 4, healAfter: { tFail: 1.5 } },
        {
          kind: "impair",
          at: 0,
          for: { tFail: 4 },
          rule: { id: "jitter", impairment: { kind: "delay", ms: 2, jitterMs: 1 } },
        },
        {
          kind: "impair",
          at: { tFail: 4 },
          for: { tFail: 0.5 },
          rule: { id: "flip", impairment: { kind: "corrupt", probability: 0.05 } },
        },
      ],
      recovery: { tFail: 1 },
    });
    const r = await runScenario({ scenario, outDir });
    const crash = r.crashes.find((c) => c.cause === "crash")!;
    const pause = r.crashes.find((c) => c.cause === "pause")!;
    assertEquals(crash.detection.detected, crash.detection.observers, "the crash is detected by every live observer");
    assertEquals(pause.detection.detected, pause.detection.observers, "so is the paused member");
    assert(r.mistakes.partitionDetections > 0, "detections across the partition are counted apart");
    assert(r.mistakes.faultDetections > 0);
    assertEquals(r.mistakes.count, 0, "no mistakes: every S-transition is explained by a fault");
    assert(r.proxy!.balances && r.proxy!.sentReconciles && r.proxy!.receivedReconciles, JSON.stringify(r.proxy));
    assert(r.proxy!.partitioned > 0 && r.proxy!.blackholed > 0);
    const flips = r.proxy!.rules.find((x) => x.id === "flip")!;
    assertEquals(flips.active, false, "a rule removed at its end time keeps its counts");
    assert(flips.counters.corrupted > 0);
    assert(r.members.malformedDropped! > 0, "members rejected the corrupted datagrams (CRC-32) and counted them");
    const log = (await Deno.readTextFile(`${outDir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    for (const type of ["crash", "recover", "pause", "resume", "partition", "heal", "addRule", "removeRule"]) {
      assert(log.some((e) => e.fault === type), `the log records ${type}`);
    }
    // After the heals, members trust the crashed and paused members again.
    const trusted = log.filter((e) => e.kind === "trusted");
    assert(trusted.some((e) => e.subject === 1) && trusted.some((e) => e.subject === 2));
    await assertReanalysisEquals(outDir);
  }));

Deno.test("process hosting: a paused member is SIGSTOPped for real, detected, resumed and trusted again; a killed member restarts", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({
      name: "process-pause",
      members: 8,
      pMistake: 1e-6,
      duration: { tFail: 4 },
      speedup: 6,
      seed: 8,
      hosting: "processes",
      faults: [
        { kind: "pause", at: { tFail: 0.5 }, member: 3, for: { tFail: 1.5 } },
        // Not overlapping the pause: a member resumed with stale state can gossip a dead member back to life.
        { kind: "kill", at: { tFail: 2.5 }, member: 5, restartAfter: { tFail: 1.5 } },
      ],
      recovery: { tFail: 1 },
    });
    const paused = scenario.faults.filter((f) => f.kind === "pause").map((f) => (f as { member: number }).member);
    assertEquals(
      shardLayout(scenario.members, scenario.shards, paused).at(-1),
      [3],
      "the paused member has a process of its own",
    );
    const r = await runScenario({ scenario, outDir });
    const pause = r.crashes.find((c) => c.cause === "pause")!;
    const kill = r.crashes.find((c) => c.cause === "kill")!;
    assertEquals(pause.detection.detected, pause.detection.observers);
    assertEquals(kill.detection.detected, kill.detection.observers);
    assertEquals(r.mistakes.count, 0);
    assert(r.noise.perShard.some((s) => s.paused), "the stopped shard is left out of the lateness verdict");
    const log = (await Deno.readTextFile(`${outDir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    const resumedAt = log.find((e) => e.fault === "resume").t;
    assert(log.some((e) => e.kind === "trusted" && e.subject === 3 && e.t > resumedAt), "trusted again after SIGCONT");
    assert(
      r.proxy!.balances && r.proxy!.sentReconciles && r.proxy!.receivedReconciles,
      JSON.stringify(r.proxy!.mismatches),
    );
  }));

Deno.test("runScenario() hosts SWIM behind the same seam: a crash is suspected, then declared dead by everyone", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({
      name: "swim-small",
      members: 10,
      detector: "swim",
      swim: { protocolPeriodMs: 500, pingTimeoutMs: 200 },
      duration: 30_000,
      speedup: 4,
      seed: 12,
      crashes: [{ member: 2, at: 8000 }],
    });
    const r = await runScenario({ scenario, outDir });
    const d = r.crashes[0]!.detection;
    assertEquals(d.detected, d.observers);
    // Suspicion timeout (4 x max(1, log10 10) x 0.5 s = 2 s) plus detection and dissemination.
    assert(d.firstMs! >= 2000 && d.fullMs! < 2000 + 20 * 500, `first ${d.firstMs}, full ${d.fullMs}`);
    assertEquals(r.mistakes.count, 0);
    assert(r.proxy!.balances && r.proxy!.sentReconciles && r.proxy!.receivedReconciles);
    const log = (await Deno.readTextFile(`${outDir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assert(log.some((e) => e.kind === "suspected" && e.subject === 2), "SWIM suspects before it declares dead");
    await assertReanalysisEquals(outDir);
  }));

Deno.test("harness analyze recomputes the demo's result.json from its journal alone, field by field", () =>
  inTempDir(async (outDir) => {
    const scenario = resolveScenario({ ...SCENARIOS.demo, speedup: 8 });
    const r = await runScenario({ scenario, outDir });
    assertEquals(r.crashes[0]!.detection.detected, 49);
    await assertReanalysisEquals(outDir);
    const again = `${outDir}/again`;
    const log = console.log;
    const err = console.error;
    console.log = () => {};
    console.error = () => {};
    try {
      assertEquals(await main(["analyze", outDir, "--out", again, "--json", "--no-color"]), 0);
      assertEquals(await main(["analyze", `${outDir}/no-such-run`]), 2);
    } finally {
      console.log = log;
      console.error = err;
    }
    const written = JSON.parse(await Deno.readTextFile(`${again}/result.json`));
    assertEquals(written.crashes[0].detection.latenciesMs, r.crashes[0]!.detection.latenciesMs);
  }));
