import { assert, assertEquals } from "@std/assert";
import { runScenario } from "../harness/run/run.ts";
import { resolveScenario } from "../harness/scenario/mod.ts";
import { readJournal } from "../harness/journal/reader.ts";

Deno.test("a slow member (SIGSTOPped for most of every interval) is falsely suspected by SWIM: its mistakes are counted, not excused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slow-" });
  try {
    const scenario = resolveScenario({
      name: "slow-member",
      members: 8,
      detector: "swim",
      swim: { protocolPeriodMs: 400, pingTimeoutMs: 150 },
      duration: 18_000,
      hosting: "processes",
      seed: 3,
      faults: [{ kind: "slow", at: 2000, member: 3, for: 12_000, interval: 4000, stoppedFraction: 0.9 }],
      recovery: 2000,
    });
    const r = await runScenario({ scenario, outDir: dir });
    assertEquals(r.complete, true);
    const journal = await readJournal(`${dir}/events.jsonl`);
    const slow = journal.faults.find((f) => f.fault === "slow");
    assert(slow && journal.faults.some((f) => f.fault === "fast"), "the journal records the slow period");
    assert(r.crashes.every((c) => c.member !== 3), "a slow member is not down");
    const aboutSlow = journal.events.filter((e) => e.subject === 3 && (e.kind === "suspected" || e.kind === "failed"));
    assert(aboutSlow.length > 0, "members suspect the slow member");
    assert(r.mistakes.count > 0, "declaring a slow, live member dead is a mistake");
    assertEquals(r.mistakes.bySlowness.aboutSlow > 0, true, "counted as mistakes about the slow member");
    assert(
      !r.noise.reasons.some((x) => x.startsWith("suspicion storm")),
      "mistakes about a slowed member are the fault's doing, not a storm",
    );
    assert(r.noise.perShard.some((s) => s.paused), "the slow member's own shard is left out of the lateness verdict");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
