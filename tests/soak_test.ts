import { assert, assertEquals } from "@std/assert";
import { runSoak, soakScenario } from "../harness/studies/soak.ts";
import { resolveScenario } from "../harness/scenario/mod.ts";

Deno.test("soakScenario() repeats a crash, a partition and a loss burst every cycle, each healed within it", () => {
  const s = resolveScenario(soakScenario({ outDir: "", seconds: 3600, members: 1000 }));
  assertEquals(s.speedup, 1);
  assertEquals(s.faults.filter((f) => f.kind === "crash").length, 6);
  assertEquals(s.faults.filter((f) => f.kind === "partition").length, 6);
  assertEquals(s.faults.filter((f) => f.kind === "impair").length, 6);
});

Deno.test("runSoak() reports memory over time, lateness by window and the run's own kernel drops", async () => {
  const dir = await Deno.makeTempDir({ prefix: "soak-" });
  try {
    const report = await runSoak({
      outDir: `${dir}/out`,
      members: 40,
      seconds: 45,
      cycleSeconds: 20,
      warmupSeconds: 10,
    });
    assertEquals(report.complete, true);
    assertEquals(report.kernelDropsOwnSockets, 0, "per-socket counters are read (FFI) and nothing was dropped");
    assert(report.harnessRss.afterWarmupBytes > 0 && report.harnessRss.endBytes > 0);
    assert(report.proxyRss !== null && report.proxyRss.endBytes > 0);
    assert(report.lateness.length >= 5, "lateness over time");
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/out/soak.json`));
    assertEquals(saved.setup.members, 40);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
