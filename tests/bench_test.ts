import { assert, assertEquals, assertRejects } from "@std/assert";
import { type CaseFigures, checkCase, saveBaseline } from "../harness/studies/bench.ts";
import { BENCH_SUITE } from "../scenarios/bench_suite.ts";
import { resolveScenario } from "../harness/scenario/mod.ts";
import { machineFacts } from "../harness/os/readings.ts";

const base: CaseFigures = {
  id: "c",
  faithful: true,
  reasons: [],
  latenciesMs: Array.from({ length: 49 }, (_, i) => 33_000 + i * 300),
  detectedFraction: 1,
  medianMs: 33_000 + 24 * 300,
  mistakes: 1,
  pairHours: 50,
  bytesPerSec: 250.4,
  cpuCores: 0.1,
  latenessP99Ms: 3,
  wallSeconds: 8,
};

Deno.test("checkCase() passes a rerun of the same build and names each kind of regression", () => {
  assertEquals(checkCase({ ...base, latenciesMs: base.latenciesMs.map((x) => x + 50) }, base).status, "pass");
  const slower = checkCase({
    ...base,
    latenciesMs: base.latenciesMs.map((x) => x * 1.2),
    medianMs: base.medianMs! * 1.2,
  }, base);
  assertEquals(slower.status, "regressed");
  assert(slower.findings[0]!.startsWith("detection slower"));
  assert(checkCase({ ...base, mistakes: 12 }, base).findings.some((f) => f.startsWith("more mistakes")));
  assert(checkCase({ ...base, bytesPerSec: 260 }, base).findings.some((f) => f.startsWith("more bandwidth")));
  assert(checkCase({ ...base, cpuCores: 0.2 }, base).findings.some((f) => f.startsWith("more CPU")));
  assert(checkCase({ ...base, latenessP99Ms: 9 }, base).findings.some((f) => f.startsWith("noisier harness")));
  assert(checkCase({ ...base, detectedFraction: 0.9 }, base).findings.some((f) => f.startsWith("fewer observers")));
  assertEquals(checkCase({ ...base, faithful: false, reasons: ["kernel drops"] }, base).status, "inconclusive");
  assertEquals(checkCase(base, undefined).status, "no baseline");
});

Deno.test("saveBaseline() refuses a suite with an unfaithful case", async () => {
  const suite = {
    schemaVersion: 1 as const,
    startedAt: "now",
    harnessVersion: "test",
    machine: machineFacts(),
    cases: [{ ...base, faithful: false, reasons: ["timer lateness p99 9 ms exceeds 8 ms"] }],
  };
  await assertRejects(() => saveBaseline("never-written", suite), RangeError, "unfaithful");
});

Deno.test("every bench case is a valid scenario", () => {
  for (const c of BENCH_SUITE) resolveScenario(c.scenario);
  assertEquals(new Set(BENCH_SUITE.map((c) => c.id)).size, BENCH_SUITE.length);
});
