// Real processes and real signals: whatever signal the harness gets, and
// whether it goes to the main process or to its whole process group, the
// run ends, leaves a readable result (when it could write one) and no
// process or socket outlives it.
import { assert, assertEquals } from "@std/assert";

const MAIN = new URL("../harness/cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** Direct children of `pid` (from ps: reading another process's /proc needs --allow-all). */
function childrenOf(pid: number): number[] {
  const out = new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(pid)], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).split(/\s+/).filter((x) => x !== "").map(Number);
}

/** Whether `pid` is a live process (a zombie awaiting its reaper is not). */
function alive(pid: number): boolean {
  const out = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)], stdout: "piped" }).outputSync();
  const stat = new TextDecoder().decode(out.stdout).trim();
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

interface Case {
  readonly signal: Deno.Signal;
  readonly target: "main" | "group";
  readonly hosting: "workers" | "processes";
  readonly paused: boolean;
}

async function runCase(c: Case): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "signals-" });
  try {
    const scenario = {
      name: `signals-${c.signal}-${c.target}-${c.hosting}${c.paused ? "-paused" : ""}`,
      members: 6,
      duration: 60_000,
      tFailMs: 5000,
      hosting: c.hosting,
      faults: c.paused ? [{ kind: "pause", at: 500, member: 2, for: 50_000 }] : [],
    };
    await Deno.writeTextFile(`${dir}/s.json`, JSON.stringify(scenario));
    // setsid: the harness leads a process group of its own, so "the group" is the harness's and not the test's.
    const child = new Deno.Command("setsid", {
      args: [
        Deno.execPath(),
        "run",
        "-A",
        `--config=${CONFIG}`,
        MAIN,
        "run",
        `${dir}/s.json`,
        "--out",
        `${dir}/out`,
        "--no-progress",
        "--no-color",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Wait until the members run (the journal has its start line) and the pause took effect.
    assert(
      await waitFor(() => {
        try {
          const text = Deno.readTextFileSync(`${dir}/out/events.jsonl`);
          return text.includes('"type":"start"') && (!c.paused || text.includes('"fault":"pause"'));
        } catch {
          return false;
        }
      }, 20_000),
      "the run started",
    );
    const pids = [child.pid, ...childrenOf(child.pid)];
    if (c.hosting === "processes") assert(pids.length >= 3, `shards and proxy are processes: ${pids}`);
    const sentAt = Date.now();
    Deno.kill(c.target === "group" ? -child.pid : child.pid, c.signal);
    const status = await child.status;
    const tookMs = Date.now() - sentAt;
    const stderr = new TextDecoder().decode((await child.stderr.getReader().read()).value ?? new Uint8Array());
    assert(
      await waitFor(() => pids.every((p) => !alive(p)), 15_000),
      `every process of the run ended: ${pids.filter(alive)}`,
    );
    if (c.signal === "SIGKILL") {
      assertEquals(status.signal, "SIGKILL");
      return;
    }
    assertEquals(status.code, 130, stderr);
    assert(tookMs < 10_000, `ended ${tookMs} ms after ${c.signal}`);
    assert(!stderr.includes("    at "), `no stack trace: ${stderr}`);
    const result = JSON.parse(await Deno.readTextFile(`${dir}/out/result.json`));
    assertEquals(result.complete, false);
    assertEquals(result.reason, "interrupted");
    assertEquals(result.faithful, false);
    assert(result.proxy !== null, "the proxy's counts were collected before it ended");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CASES: Case[] = [];
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"] as const) {
  for (const target of ["main", "group"] as const) {
    for (const hosting of ["workers", "processes"] as const) {
      CASES.push({ signal, target, hosting, paused: hosting === "processes" });
    }
  }
}
CASES.push({ signal: "SIGKILL", target: "main", hosting: "workers", paused: true });
CASES.push({ signal: "SIGINT", target: "group", hosting: "processes", paused: false });

for (const c of CASES) {
  Deno.test(
    `harness run ends on ${c.signal} to its ${c.target === "main" ? "main process" : "process group"} (${c.hosting}${
      c.paused ? ", a member paused" : ""
    }), leaving no process behind`,
    () => runCase(c),
  );
}

Deno.test("runScenario() stops a run that passes its hard deadline: complete false, reason deadline, partial results", async () => {
  const { runScenario, runDeadlineMs } = await import("../harness/run/run.ts");
  const { resolveScenario } = await import("../harness/scenario/mod.ts");
  const dir = await Deno.makeTempDir({ prefix: "deadline-" });
  try {
    const scenario = resolveScenario({ name: "deadline", members: 6, duration: 60_000, tFailMs: 5000 });
    assertEquals(runDeadlineMs(scenario), 60_000 + 30_000, "nominal / speed-up + max(30 s, 10%)");
    assertEquals(runDeadlineMs({ ...scenario, durationMs: 3_600_000 }), 3_600_000 + 360_000);
    const started = Date.now();
    const r = await runScenario({ scenario, outDir: `${dir}/out`, deadlineMs: 1500 });
    assert(Date.now() - started < 10_000, "ended soon after the deadline");
    assertEquals(r.complete, false);
    assertEquals(r.reason, "deadline");
    assertEquals(r.faithful, false);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/out/result.json`));
    assertEquals(saved.reason, "deadline");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
