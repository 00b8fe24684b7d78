import { assert, assertEquals } from "@std/assert";
import { absNowMs } from "../harness/os/clock.ts";
import { type SerfAgent, spawnSerfAgent } from "../harness/external/serf_agent.ts";
import { allocateLoopbackPorts, ensureSerf, serfAgentArgs } from "../harness/external/serf_args.ts";
import { SerfRpcClient } from "../harness/external/serf_rpc.ts";
import { isAcceptedClientLine, parseSerfLogLine, serfLogTimeMs } from "../harness/external/serf_log.ts";

const N = 5;
const VICTIM = 2;
const DETECTION_LIMIT_MS = 15_000;

async function waitFor(what: string, timeoutMs: number, ready: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await ready())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("spawnSerfAgent() agents see a SIGKILLed member fail, report no backlog line, and members() agrees", async () => {
  const serf = await ensureSerf(); // Throws with the install hint: this test never skips.
  const ports = allocateLoopbackPorts(2 * N);
  const agents: SerfAgent[] = [];
  try {
    for (let i = 0; i < N; i++) {
      agents.push(
        await spawnSerfAgent({
          name: `serf-${i}`,
          bindPort: ports[2 * i]!,
          rpcPort: ports[2 * i + 1]!,
          profile: "lan",
          join: i === 0 ? [] : [ports[0]!],
          serfPath: serf,
        }),
      );
    }
    const names = agents.map((a) => a.name);
    await waitFor("every agent to list all members alive", 15_000, async () => {
      for (const agent of agents) {
        const alive = (await agent.members()).filter((m) => m.status === "alive").map((m) => m.name);
        if (alive.length !== N) return false;
      }
      return true;
    });
    const first = agents[0]!;
    await waitFor(
      "the first agent's joined events",
      5000,
      () => first.events.filter((e) => e.kind === "joined").length === N - 1,
    );

    // The backlog is replayed to every new monitor (shown with a raw client), but never reported as events.
    const rawLines: string[] = [];
    {
      await using raw = await SerfRpcClient.connect(first.rpcPort);
      const monitor = await raw.monitor("INFO", (line) => rawLines.push(line));
      await waitFor(
        "the raw monitor's backlog",
        5000,
        () => rawLines.some((l) => l.includes(`EventMemberJoin: ${names[N - 1]} `)),
      );
      await monitor.stop();
    }
    assert(
      rawLines.some((l) => l.includes(`EventMemberJoin: ${first.name} 127.0.0.1`)),
      "the replay has the self join",
    );
    for (const agent of agents) {
      const { subscription, events } = agent;
      assert(subscription.backlogLines >= 2, `${agent.name}: backlog cut (${subscription.backlogLines} lines)`);
      assert(
        subscription.markerLine.includes("[INFO] agent.ipc: Accepted client: 127.0.0.1:"),
        subscription.markerLine,
      );
      for (const e of events) {
        assert(e.t >= subscription.liveFromMs, `${agent.name}: event before the marker: ${e.line}`);
        assert(e.logTimeMs !== undefined && e.logTimeMs >= subscription.markerLogTimeMs!, `backlog line: ${e.line}`);
        assert(!(e.kind === "joined" && e.subject === agent.name), `${agent.name} reported its own start-up join`);
      }
    }
    const joinedAtFirst = first.events.filter((e) => e.kind === "joined").map((e) => e.subject).sort();
    assertEquals(joinedAtFirst, names.slice(1), "the first agent reports each later join once");
    assert(first.events.every((e) => e.address === "127.0.0.1"));

    // SIGKILL one member: every live agent reports it failed.
    const victim = agents[VICTIM]!;
    const killedAt = absNowMs();
    victim.kill("SIGKILL");
    assertEquals((await victim.status).signal, "SIGKILL");
    const observers = agents.filter((a) => a !== victim);
    const failedAt = (a: SerfAgent) =>
      a.events.find((e) => e.kind === "failed" && e.source === "serf" && e.subject === victim.name)?.t;
    await waitFor(
      "every live agent to report the victim failed",
      DETECTION_LIMIT_MS,
      () => observers.every((a) => failedAt(a) !== undefined),
    );
    for (const a of observers) {
      const detectionMs = failedAt(a)! - killedAt;
      assert(detectionMs > 0 && detectionMs < DETECTION_LIMIT_MS, `${a.name}: detection ${detectionMs} ms`);
      const event = a.events.find((e) => e.kind === "failed" && e.subject === victim.name)!;
      assertEquals(event.address, "127.0.0.1");
      assertEquals(event.observer, a.name);
    }

    // Reconciliation: each survivor lists the victim as failed and the others alive.
    for (const a of observers) {
      const members = await a.members();
      assertEquals(members.length, N);
      for (const m of members) {
        assertEquals(m.status, m.name === victim.name ? "failed" : "alive", `${a.name} sees ${m.name}`);
        assertEquals(m.addr, "127.0.0.1");
        assertEquals(m.port, agents.find((x) => x.name === m.name)!.advertisePort);
      }
    }
  } finally {
    await Promise.all(agents.map((a) => a.close()));
  }
});

Deno.test("spawnSerfAgent() fails with the agent's output when the gossip port is taken", async () => {
  const serf = await ensureSerf();
  const [gossip, rpc] = allocateLoopbackPorts(2) as [number, number];
  const taken = Deno.listen({ hostname: "127.0.0.1", port: gossip, transport: "tcp" });
  try {
    const error = await spawnSerfAgent({ name: "clash", bindPort: gossip, rpcPort: rpc, serfPath: serf }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert(error !== undefined, "start fails");
    assert(error.message.includes("address already in use"), error.message);
  } finally {
    taken.close();
  }
});

Deno.test("serfAgentArgs() builds the agent's command line", () => {
  assertEquals(
    serfAgentArgs({ name: "n", bindPort: 1, advertisePort: 2, rpcPort: 3, profile: "local", join: [4, 5] }),
    [
      "agent",
      "-node=n",
      "-bind=127.0.0.1:1",
      "-advertise=127.0.0.1:2",
      "-rpc-addr=127.0.0.1:3",
      "-profile=local",
      "-log-level=info",
      "-join=127.0.0.1:4",
      "-join=127.0.0.1:5",
    ],
  );
});

Deno.test("parseSerfLogLine() reads the member lines seen from Serf 0.8.2-dev", () => {
  const at = new Date(2026, 11, 3, 7, 34, 32).getTime();
  assertEquals(parseSerfLogLine("2026/12/03 07:34:32 [INFO] serf: EventMemberFailed: b 127.0.0.1"), {
    kind: "failed",
    subject: "b",
    address: "127.0.0.1",
    source: "serf",
    logTimeMs: at,
  });
  assertEquals(
    parseSerfLogLine("2026/12/03 07:34:32 [INFO] serf: EventMemberJoin: node 7 127.0.0.1")?.subject,
    "node 7",
  );
  assertEquals(parseSerfLogLine("2026/12/03 07:34:32 [INFO] serf: EventMemberLeave: c 127.0.0.1")?.kind, "left");
  assertEquals(
    parseSerfLogLine("2026/12/03 07:34:32 [INFO] serf: EventMemberLeave (forced): c 127.0.0.1")?.kind,
    "left",
  );
  assertEquals(parseSerfLogLine("2026/12/03 07:34:28 [INFO] memberlist: Suspect b has failed, no acks received"), {
    kind: "suspected",
    subject: "b",
    address: undefined,
    source: "memberlist",
    logTimeMs: at - 4000,
  });
  assertEquals(
    parseSerfLogLine(
      "2026/12/03 07:34:32 [INFO] memberlist: Marking b as failed, suspect timeout reached (0 peer confirmations)",
    )?.kind,
    "failed",
  );
  assertEquals(parseSerfLogLine("2026/12/03 07:34:33 [INFO] agent: Received event: member-failed"), undefined);
  assertEquals(serfLogTimeMs("no timestamp"), undefined);
  assert(
    isAcceptedClientLine("2026/12/03 07:34:16 [INFO] agent.ipc: Accepted client: 127.0.0.1:35676", "127.0.0.1:35676"),
  );
  assert(
    !isAcceptedClientLine("2026/12/03 07:34:16 [INFO] agent.ipc: Accepted client: 127.0.0.1:356761", "127.0.0.1:35676"),
  );
});
