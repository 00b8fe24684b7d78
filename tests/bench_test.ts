import { assert, assertEquals, assertRejects } from "@std/assert";
import { judgePairs } from "../harness/studies/bench_pair.ts";
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
  // CPU and lateness depend on the machine: a saved baseline does not judge them (judgePairs() does, below).
  assertEquals(checkCase({ ...base, cpuCores: 0.2 }, base).status, "pass");
  assertEquals(checkCase({ ...base, latenessP99Ms: 9 }, base).status, "pass");
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

Deno.test("judgePairs() flags a suite-wide 15% CPU increase against the same-session reference and passes noise", () => {
  const figures = (id: string, cpuCores: number, latenessP99Ms = 3): CaseFigures => ({
    id,
    faithful: true,
    reasons: [],
    latenciesMs: [],
    detectedFraction: null,
    medianMs: 38_000,
    mistakes: 0,
    pairHours: 1,
    bytesPerSec: 250,
    cpuCores,
    latenessP99Ms,
    wallSeconds: 10,
  });
  const noise = [1.04, 0.95, 1.08, 0.97, 1.02, 0.99, 1.06, 0.93, 1.01, 1.05, 0.98, 1.03];
  const pairs = (factor: number) =>
    noise.map((n, i) => {
      const reference = figures(`c${i}`, 0.2);
      const current = figures(`c${i}`, 0.2 * n * factor);
      return {
        id: `c${i}`,
        current,
        reference,
        cpuRatio: current.cpuCores / reference.cpuCores,
        sameProtocolFigures: true,
      };
    });
  assertEquals(judgePairs("HEAD", pairs(1)).findings, []);
  const slower = judgePairs("HEAD", pairs(1.15));
  assert(slower.findings.some((f) => f.includes("geometric mean")), slower.findings.join("\n"));
  const noisier = judgePairs("HEAD", [{ ...pairs(1)[0]!, current: figures("c0", 0.2, 9) }]);
  assert(noisier.findings.some((f) => f.includes("noisier harness")), noisier.findings.join("\n"));
  const hot = judgePairs("HEAD", [{ ...pairs(1)[0]!, current: figures("c0", 0.4), cpuRatio: 2 }]);
  assert(hot.findings.some((f) => f.includes("more CPU")), hot.findings.join("\n"));
  const unfaithful = judgePairs("HEAD", [{ ...pairs(3)[0]!, current: { ...figures("c0", 0.6), faithful: false } }]);
  assertEquals(unfaithful.findings, []);
  assertEquals(unfaithful.leftOut.length, 1);
});

Deno.test("checkCase() judges a hostile case by the study's checks, not by its (unfaithful by design) run", () => {
  const held = { ...base, faithful: true, hostile: { sent: 30_000, failedChecks: [] } };
  assertEquals(checkCase(held, undefined).status, "pass");
  const failed = checkCase({
    ...base,
    hostile: { sent: 30_000, failedChecks: ["no hostile datagram reached a detector"] },
  }, base);
  assertEquals(failed.status, "regressed");
  assertEquals(failed.findings, ["no hostile datagram reached a detector"]);
  assert(BENCH_SUITE.some((c) => c.id === "hostile" && c.hostileRate !== undefined), "the suite has a hostile case");
});
