// deno-lint-ignore-file no-console -- the CLI test silences the CLI's error output.
// The pure parts of real programs as members: their kinds' settings, how
// their reports become detector events, and the figures that cannot use the
// members' own counts (null) and use the proxy's instead.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { memberIndexOf, ReportMapper } from "../harness/external/events.ts";
import { memberlistTuningOf, resolveMemberlistSettings } from "../harness/external/memberlist_kind.ts";
import { memberlistReport } from "../harness/external/memberlist_launcher.ts";
import { serfReport } from "../harness/external/serf_launcher.ts";
import type { MemberlistEvent } from "../harness/external/memberlist_driver.ts";
import type { SerfEvent } from "../harness/external/serf_monitor.ts";
import { main } from "../harness/cli/main.ts";
import { bandwidth } from "../harness/metrics/bandwidth.ts";
import { reconcileViews } from "../harness/metrics/external.ts";
import { proxyReport } from "../harness/metrics/proxy_report.ts";
import type { RunRecord } from "../harness/metrics/record.ts";
import { ProxyBooks, TcpBooks } from "../harness/proxy/books.ts";
import { resolveScenario, ScenarioError } from "../harness/scenario/mod.ts";
import { externalVariants } from "../harness/studies/compare_variants.ts";
import { SCENARIOS } from "../scenarios/mod.ts";

Deno.test("memberlist settings: preset timings, every field overridable, Lifeguard's parts as switches, buddy always on", () => {
  const lan = resolveMemberlistSettings(undefined);
  assertEquals([lan.preset, lan.probeIntervalMs, lan.suspicionMult, lan.pushPullIntervalMs], ["lan", 1000, 4, 30_000]);
  assertEquals([lan.awareness, lan.dynamicSuspicion, lan.buddy], [true, true, true]);
  assertEquals([lan.awarenessMaxMultiplier, lan.suspicionMaxTimeoutMult], [8, 6]);
  const wan = resolveMemberlistSettings({ preset: "wan", gossipNodes: 5 });
  assertEquals([wan.probeIntervalMs, wan.probeTimeoutMs, wan.gossipNodes], [5000, 3000, 5]);
  const off = resolveMemberlistSettings({ awareness: false, dynamicSuspicion: false });
  assertEquals([off.awarenessMaxMultiplier, off.suspicionMaxTimeoutMult, off.buddy], [1, 1, true]);
  assertEquals(resolveMemberlistSettings({ awarenessMaxMultiplier: 1 }).awareness, false);
  assertThrows(() => resolveMemberlistSettings({ awareness: true, awarenessMaxMultiplier: 1 }), RangeError, "> 1");
  assertThrows(() => resolveMemberlistSettings({ probeTimeoutMs: 2000 }), RangeError, "probeIntervalMs");
  // The driver gets every timing explicitly, plus the other flags given.
  const tuning = memberlistTuningOf(resolveMemberlistSettings({ preset: "local", enableCompression: false }));
  assertEquals([tuning.probeTimeoutMs, tuning.indirectChecks, tuning.enableCompression], [200, 1, false]);
});

Deno.test("external kinds run in real time only: another speed-up is bad input naming 'speedup'", () => {
  for (const name of ["memberlist-crash", "serf-crash"]) {
    const sc = resolveScenario(SCENARIOS[name]!);
    assertEquals([sc.members, sc.speedup, sc.crashes.length], [20, 1, 1]);
    const error = assertThrows(() => resolveScenario({ ...SCENARIOS[name]!, speedup: 2 }), ScenarioError);
    assertEquals(error.field, "speedup");
    assertThrows(() => resolveScenario({ ...SCENARIOS[name]!, failed: 1 }), ScenarioError, "'failed'");
  }
  assertThrows(
    () => resolveScenario({ name: "x", detector: "serf", duration: 1000, swim: {} }),
    ScenarioError,
    "detector",
  );
  assertEquals(externalVariants(["swim", "memberlist", "push", "serf"]), ["memberlist", "serf"]);
});

Deno.test("reports become detector events: joined, failed once, trusted after failed, suspected, removed", () => {
  const m = new ReportMapper(3);
  assertEquals(m.map(0, 1, "alive"), "joined");
  assertEquals(m.map(0, 1, "alive"), null, "an update of a live member is no transition");
  assertEquals(m.map(0, 1, "suspected"), "suspected");
  assertEquals(m.map(0, 1, "failed"), "failed");
  assertEquals(m.map(0, 1, "failed"), null);
  assertEquals(m.map(0, 1, "suspected"), null, "a probe of a dead member is no suspicion");
  assertEquals(m.map(0, 1, "alive"), "trusted");
  assertEquals(m.map(0, 2, "left"), "removed");
  assertEquals(m.map(1, 1, "alive"), null, "a member's reports about itself are not events");
  assertEquals(m.map(0, -1, "alive"), null);
  m.forget(0);
  assertEquals(m.map(0, 1, "alive"), "joined", "a restarted member's first report is a join");
  assertEquals([memberIndexOf("m2", 3), memberIndexOf("m3", 3), memberIndexOf("x", 3)], [2, -1, -1]);

  const ml = (kind: string, state?: string) => ({ t: 0, mono: 0, kind, subject: "m1", state }) as MemberlistEvent;
  assertEquals(
    [ml("join"), ml("update"), ml("leave", "failed"), ml("leave", "left"), ml("suspect"), ml("marked-failed")]
      .map(memberlistReport),
    ["alive", "alive", "failed", "left", "suspected", null],
  );
  const serf = (kind: SerfEvent["kind"], source: SerfEvent["source"]) => ({ kind, source }) as SerfEvent;
  assertEquals(
    [serf("joined", "serf"), serf("failed", "serf"), serf("failed", "memberlist"), serf("suspected", "memberlist")]
      .map(serfReport),
    ["alive", "failed", null, "suspected"],
  );
});

function externalRecord(): RunRecord {
  const n = 2;
  const books = new ProxyBooks(n, 10);
  books.member.fromMember.set([10, 20]);
  books.member.fromMemberBytes.set([1000, 3000]);
  books.member.acceptedFrom.set([10, 20]);
  books.member.toMember.set([20, 10]);
  books.member.toMemberBytes.set([3000, 1000]);
  const tcp = new TcpBooks(n);
  const [there, back] = tcp.open(0, 1);
  tcp.read(there, 0, 500);
  tcp.relayed(there, 0, 1, 500);
  tcp.read(back, 1, 100);
  tcp.dropped(back, 1, 100);
  tcp.close([there, back]);
  const nulls = { sentBytes: null, sentDatagrams: null, recvBytes: null, recvDatagrams: null };
  return {
    members: n,
    durationMs: 10_000,
    speedup: 1,
    periodMs: 1000,
    budgetBytesPerSec: 250,
    budgetAccounting: "wire",
    downs: [],
    partitions: [],
    silenceMs: 8000,
    events: [{ observer: 0, subject: 1, kind: "failed", atMs: 5000 }],
    totals: { ...nulls, malformed: null, sendErrors: null, foreign: null, kernelDrops: null },
    samples: [],
    proxy: { ...books.snapshot({ delayedPending: 0, rules: [], kernelDrops: null }, false), tcp: tcp.snapshot() },
    views: [{ t: 9000, states: ["alive", "absent"] }, { t: 9000, states: ["alive", "alive"] }],
    faithfulLatenessFraction: 0.05,
    noise: {
      latenessByShard: [],
      kernelRcvbufErrors: 0,
      kernelInErrors: 0,
      harnessCpuMs: null,
      proxyCpuMs: null,
      wallRealMs: 10_000,
      cores: 2,
      harnessRssBytes: null,
      harnessPeakRssBytes: null,
      proxyRssBytes: null,
      proxyPeakRssBytes: null,
      timeline: [],
      readings: [],
    },
  };
}

Deno.test("members' counts not measured: bandwidth from the proxy (UDP and TCP), reconciliation not checked", () => {
  const record = externalRecord();
  const b = bandwidth(record);
  assertEquals(b.source, "proxy");
  assertEquals(b.perMemberBytesPerSec, [100, 300]);
  assertEquals(b.meanEntryBytesPerSec, null);
  assertEquals(b.tcp!.perMemberSentBytesPerSec, [50, 10]);
  assertEquals(b.tcp!.meanTotalSentBytesPerSec, (150 + 310) / 2);
  const p = proxyReport(record)!;
  assertEquals([p.sentReconciles, p.receivedReconciles, p.mismatches.length], [null, null, 0]);
  assert(p.balances);
  assertEquals([p.tcp!.bytesIn, p.tcp!.relayedBytes, p.tcp!.droppedBytes, p.tcp!.balances], [600, 500, 100, true]);
  // Member 0 declared 1 failed and 1 is gone from its table: they agree; member 1's own view has 0 alive.
  const v = reconcileViews(record)!;
  assertEquals([v.checked, v.agree, v.disagreements.length], [2, 2, 0]);
  const wrong = reconcileViews({ ...record, events: [] })!;
  assertEquals(wrong.disagreements, [{ observer: 0, subject: 1, table: "absent", events: "alive" }]);
});

Deno.test("harness compare with a real program: every variant in real time; --speedup or --equal-budget exit 2", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assertEquals(await main(["compare", "compare", "--variants", "swim,memberlist", "--speedup", "2"]), 2);
    assertEquals(await main(["compare", "compare", "--variants", "serf,basic", "--equal-budget"]), 2);
    assertEquals(await main(["run", "serf-crash", "--speedup", "4"]), 2);
  } finally {
    console.error = original;
  }
  assert(errors[0]!.includes("--speedup") && errors[0]!.includes("real time"), errors.join("\n"));
  assert(errors[1]!.includes("--equal-budget"), errors.join("\n"));
  assert(errors[2]!.includes("'speedup' must be 1"), errors.join("\n"));
});
