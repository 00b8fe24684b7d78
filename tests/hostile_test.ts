// Hostile datagrams on real sockets (issue 11): a short run while a foreign sender blasts seeded hostile
// datagrams (oversized lists of made-up members among them) at the members' private ports and the proxy's
// public ports. The run must end normally, every datagram must be counted where it landed and dropped,
// none may reach a detector, mistakes must be those of the same run without it, and the verdict must say
// the run was disturbed by foreign senders.
import { assert, assertEquals } from "@std/assert";
import { resolveScenario } from "../harness/scenario/mod.ts";
import { runHostile } from "../harness/studies/hostile.ts";

Deno.test("a run under hostile datagrams at member and proxy ports ends normally, counts and drops them all", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    const scenario = resolveScenario({
      name: "hostile-small",
      members: 8,
      duration: { tGossip: 60 },
      speedup: 4,
      seed: 11,
      crashes: [{ member: 3, at: { tGossip: 10 } }],
    });
    const report = await runHostile({ scenario, outDir, rate: 1000 });
    const { hostile, quiet, sent } = report;
    // The run ended normally: no shard crashed, no deadline.
    assert(hostile.complete, `${hostile.reason}: ${hostile.error}`);
    assertEquals(hostile.reason, null);
    // Hostile traffic went to both kinds of port, oversized lists included.
    assert(sent.toPrivate > 100 && sent.toPublic > 100, JSON.stringify(sent));
    assert(sent.byCategory.oversized > 0, JSON.stringify(sent.byCategory));
    assertEquals(sent.errors, 0);
    // Every datagram was counted where it landed (short at most by what the kernel dropped) and dropped there.
    const drops = hostile.noise.kernelDrops;
    assert(report.foreign <= sent.toPrivate && report.foreign >= sent.toPrivate - drops, JSON.stringify(report.checks));
    assert(
      report.unknownSource <= sent.toPublic && report.unknownSource >= sent.toPublic - drops,
      JSON.stringify(report.checks),
    );
    assertEquals(report.malformed, 0, "no hostile datagram reached a detector");
    assert(hostile.proxy!.sentReconciles && hostile.proxy!.receivedReconciles, "member-proxy traffic unaffected");
    // Mistakes unchanged, and the crash still detected by every live observer.
    assertEquals(hostile.mistakes.count, quiet!.mistakes.count);
    assertEquals(hostile.crashes[0]!.detection.detected, quiet!.crashes[0]!.detection.detected);
    // The verdict: unfaithful, because of the foreign senders.
    assertEquals(hostile.faithful, false);
    assert(
      hostile.noise.reasons.some((r) => r.includes("foreign senders")),
      hostile.noise.reasons.join("; "),
    );
    assert(report.holds, JSON.stringify(report.checks.filter((c) => !c.holds)));
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
