// Real memberlist and Serf members under the harness, through the same
// proxy (UDP and TCP) as the harness's own detectors. Real processes, no
// skips: without Go and memberlist's sources, or serf, these tests fail
// saying what to install.
import { assert, assertEquals } from "@std/assert";
import { runScenario } from "../harness/run/run.ts";
import type { RunResult } from "../harness/run/result.ts";
import { resolveScenario, type ScenarioInput } from "../harness/scenario/mod.ts";
import { SCENARIOS } from "../scenarios/mod.ts";

interface JournalEvent {
  readonly t: number;
  readonly observer: number;
  readonly kind: string;
  readonly subject: number;
}

/** Runs `input`; resolves to its result, and to its detector events when `events` is given. */
async function run(input: ScenarioInput, events?: JournalEvent[]): Promise<RunResult> {
  const outDir = await Deno.makeTempDir({ prefix: `${input.name}-` });
  try {
    const r = await runScenario({ scenario: resolveScenario(input), outDir });
    const lines = (await Deno.readTextFile(`${outDir}/events.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    events?.push(...lines.filter((l) => l.observer !== undefined));
    return r;
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

/** A built-in crash scenario made small: 8 members, the crash at 14 s, 30 s in all. */
function small(name: "memberlist-crash" | "serf-crash"): ScenarioInput {
  return {
    ...SCENARIOS[name]!,
    name: `${name}-small`,
    members: 8,
    duration: 27_000,
    crashes: [{ member: 3, at: 14_000 }],
    recovery: 3000,
  };
}

/** What every crash-by-proxy run of real programs must show. */
function assertCrashDetectedThroughTheProxy(r: RunResult): void {
  assert(r.complete, r.error ?? "complete");
  // Faithful but for the kernel's drops: a system-wide counter that other programs on a shared machine move too.
  const reasons = r.noise.reasons.filter((x) => !x.includes("dropped by the kernel"));
  assertEquals(reasons, [], "faithful");
  const [crash] = r.crashes;
  const d = crash!.detection;
  assertEquals([d.observers, d.detected], [7, 7], "every live observer detected the crash");
  assert(d.firstMs! > 2000 && d.fullMs! < 20_000, `detection ${d.firstMs}..${d.fullMs} ms`);
  assertEquals(r.mistakes.count, 0);
  // The members' own counts are not measured: bandwidth comes from the proxy, reconciliation is not checked.
  assertEquals(r.bandwidth.source, "proxy");
  assert(r.bandwidth.meanBytesPerSec > 50, `UDP ${r.bandwidth.meanBytesPerSec} B/s`);
  assert(r.bandwidth.tcp!.meanSentBytesPerSec > 0, "TCP went through the relay (joins, push-pull)");
  assertEquals([r.members.malformedDropped, r.proxy!.sentReconciles, r.proxy!.receivedReconciles], [null, null, null]);
  assertEquals(r.noise.undelivered, null);
  const tcp = r.proxy!.tcp!;
  assert(tcp.balances, JSON.stringify(tcp));
  // Initiators are named from /proc; on a shared machine a stranger may dial a reused port (counted apart).
  assert(tcp.connections - tcp.unidentified >= 7, `joins and push-pulls named: ${JSON.stringify(tcp)}`);
  assert(tcp.unidentified <= 2, `initiators not named: ${tcp.unidentified}`);
  assert(tcp.parked > 0, "TCP fallback pings to the black-holed member were accepted and stalled");
  assert(r.proxy!.blackholed > 0);
  assertEquals(r.members.views!.agree, r.members.views!.checked, JSON.stringify(r.members.views));
  assertEquals(r.members.views!.checked, 8 * 7);
  assertEquals(r.members.processes!.processes, 8);
  assert(r.members.processes!.rssBytesMean > 1e6);
}

Deno.test("memberlist-crash (8 members): every live observer detects a crash by proxy, UDP and TCP cut", async () => {
  assertCrashDetectedThroughTheProxy(await run(small("memberlist-crash")));
});

Deno.test("serf-crash (8 members): every live observer detects a crash by proxy, UDP and TCP cut", async () => {
  assertCrashDetectedThroughTheProxy(await run(small("serf-crash")));
});

Deno.test("memberlist members: a SIGKILLed member restarts on its ports, a SIGSTOPped one resumes; both trusted again", async () => {
  const events: JournalEvent[] = [];
  const r = await run({
    name: "memberlist-controls",
    detector: "memberlist",
    members: 6,
    duration: 34_000,
    faults: [
      { kind: "kill", at: 10_000, member: 2, restartAfter: 12_000 },
      { kind: "pause", at: 10_000, member: 4, for: 12_000 },
    ],
    recovery: 6000,
  }, events);
  assert(r.complete, r.error ?? "complete");
  for (const member of [2, 4]) {
    const c = r.crashes.find((x) => x.member === member)!;
    assertEquals([c.detection.observers, c.detection.detected], [4, 4], `member ${member} (${c.cause}) detected`);
  }
  for (const member of [2, 4]) {
    const by = (kind: string, after: number) =>
      [...new Set(events.filter((e) => e.subject === member && e.t > after && e.kind === kind).map((e) => e.observer))]
        .sort();
    // The live members declared it failed (so may the other faulted member, once back: it learns by gossip).
    const failed = by("failed", 10_000);
    assert([0, 1, 3, 5].every((o) => failed.includes(o)), `${member} declared failed by ${failed}`);
    const trusted = by("trusted", 22_000);
    assert(failed.every((o) => trusted.includes(o)), `${member} trusted again by ${trusted} of ${failed}`);
  }
  assertEquals(r.members.views!.agree, r.members.views!.checked, JSON.stringify(r.members.views));
  // After the restart and the resume every table lists everyone alive again.
  assertEquals(r.members.views!.notRead, 0);
  assertEquals(r.mistakes.count, 0, JSON.stringify(r.mistakes));
});

const MAIN = new URL("../harness/cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

function ps(args: string[]): string {
  const out = new Deno.Command("ps", { args, stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** Whether `pid` is a live process (a zombie awaiting its reaper is not). */
function alive(pid: number): boolean {
  const stat = ps(["-o", "stat=", "-p", String(pid)]).trim();
  return stat !== "" && !stat.startsWith("Z");
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Starts the harness on `input` in a session of its own, SIGKILLs it once `ready` shows in the journal. */
async function killHarnessDuring(input: ScenarioInput, program: RegExp, ready: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "external-kill-" });
  try {
    await Deno.writeTextFile(`${dir}/s.json`, JSON.stringify(input));
    const args = [
      "run",
      "-A",
      `--config=${CONFIG}`,
      MAIN,
      "run",
      `${dir}/s.json`,
      "--out",
      `${dir}/out`,
      "--no-progress",
    ];
    const harness = new Deno.Command("setsid", { args: [Deno.execPath(), ...args], stdout: "null", stderr: "null" })
      .spawn();
    const started = await waitFor(() => {
      try {
        return Deno.readTextFileSync(`${dir}/out/events.jsonl`).includes(ready);
      } catch {
        return false;
      }
    }, 60_000);
    assert(started, `the run reached ${ready}`);
    const children = ps(["-o", "pid=,args=", "--ppid", String(harness.pid)]).trim().split("\n")
      .map((line) => line.trim().split(/\s+/, 2))
      .filter(([, cmd]) => program.test(cmd ?? ""))
      .map(([pid]) => Number(pid));
    assertEquals(children.length, input.members, `one ${program} per member`);
    Deno.kill(harness.pid, "SIGKILL");
    await harness.status;
    assert(
      await waitFor(() => children.every((p) => !alive(p)), 10_000),
      `every member process died with the harness: ${children.filter(alive)} left`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SIGKILL of the harness leaves no memberlist driver, not even a stopped (paused) one", async () => {
  await killHarnessDuring(
    {
      name: "kill-harness-memberlist",
      detector: "memberlist",
      members: 4,
      duration: 60_000,
      faults: [{ kind: "pause", at: 3000, member: 1, for: 40_000 }],
    },
    /memberlist-driver$/,
    '"fault":"pause"',
  );
});

Deno.test("SIGKILL of the harness leaves no serf agent", async () => {
  await killHarnessDuring(
    { name: "kill-harness-serf", detector: "serf", members: 4, duration: 60_000 },
    /serf$/,
    '"type":"start"',
  );
});
