import { assert, assertEquals } from "@std/assert";
import { runComparison } from "../harness/compare.ts";

Deno.test("runComparison() runs one scenario per detector with the same schedule and writes the table", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = await runComparison(
      {
        name: "cmp",
        members: 8,
        pMistake: 1e-6,
        duration: 30_000,
        speedup: 5,
        seed: 4,
        crashes: [{ member: 1, at: 6000 }],
      },
      ["basic", "swim"],
      { outDir: dir, harnessVersion: "test" },
    );
    assertEquals(rows.map((r) => r.detector), ["basic", "swim"]);
    for (const r of rows) assertEquals(r.detectedFraction, 1, `${r.detector} detected the crash everywhere`);
    assert(rows[1]!.medianMs! < rows[0]!.medianMs!, "SWIM detects faster than the basic detector's T_fail here");
    const md = await Deno.readTextFile(`${dir}/compare.md`);
    assert(md.includes("| basic |") && md.includes("| swim |"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
