import { assert, assertEquals } from "@std/assert";
import { runComparison } from "../harness/studies/compare.ts";

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

Deno.test("catastrophe recovery on real sockets: halves forgotten across a long partition re-merge only with broadcasts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = await runComparison(
      {
        name: "remerge",
        members: 12,
        duration: { tGossip: 10, tFail: 2.5 },
        faults: [{ kind: "partition", at: { tGossip: 10 }, shape: "halves", healAfter: { tFail: 2.5 } }],
        recovery: { ms: 60_000 },
        catastrophe: {},
        speedup: 10,
        seed: 2,
      },
      ["no-broadcast", "broadcast"],
      { outDir: dir, harnessVersion: "test" },
    );
    const [off, on] = rows;
    // Every cross pair was declared failed (and forgotten) during the partition.
    assertEquals(off!.remerge!.pairs, 12 * 6);
    assertEquals(off!.remerge!.remerged, 0, "plain gossip never contacts members it dropped");
    assertEquals(off!.broadcasts, null);
    assertEquals(on!.remerge!.pairs, 12 * 6);
    assertEquals(on!.remerge!.remerged, 12 * 6, "broadcasts re-merge every pair");
    assert(on!.broadcasts! > 0);
    const md = await Deno.readTextFile(`${dir}/compare.md`);
    assert(md.includes("## Re-merge after the healed partition"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
