import { assert, assertEquals } from "@std/assert";
import {
  ensureMemberlistDriver,
  type MemberlistEvent,
  type MemberlistMember,
  memberlistTuningArgs,
  spawnMemberlistMember,
} from "../harness/external/memberlist_driver.ts";

/** A port free for both TCP and UDP on 127.0.0.1 (memberlist binds both). */
function freePort(taken: ReadonlySet<number>): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    if (taken.has(port)) continue;
    try {
      Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // UDP side taken: try another
    }
  }
  throw new Error("no free port");
}

/** Resolves when `check()` holds, polling; rejects after `timeoutMs`. */
async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("memberlistTuningArgs() passes durations in ms as Go durations and only given fields", () => {
  assertEquals(
    memberlistTuningArgs({ probeIntervalMs: 250, suspicionMaxTimeoutMult: 1, disableTcpPings: true }),
    ["-probe-interval=250ms", "-suspicion-max-timeout-mult=1", "-disable-tcp-pings=true"],
  );
  assertEquals(memberlistTuningArgs({}), []);
});

Deno.test("spawnMemberlistMember() members detect a SIGKILLed member as failed", async () => {
  // Fails (never skips) with the install command when Go or memberlist are missing.
  const binary = await ensureMemberlistDriver();
  const names = ["m0", "m1", "m2", "m3", "m4"];
  const ports = new Set<number>();
  for (const _ of names) ports.add(freePort(ports));
  const portList = [...ports];
  const events = new Map<string, MemberlistEvent[]>(names.map((name) => [name, []]));
  const members: MemberlistMember[] = [];
  const spawn = (index: number) => {
    const name = names[index]!;
    const member = spawnMemberlistMember({
      binary,
      name,
      bindPort: portList[index]!,
      join: index === 0 ? [] : [`127.0.0.1:${portList[0]}`],
      onEvent: (event) => events.get(name)!.push(event),
    });
    members.push(member);
    return member;
  };
  try {
    await spawn(0).ready;
    await Promise.all(names.slice(1).map((_, i) => spawn(i + 1).ready));

    // Everyone sees all five (join events, then memberlist's own table).
    const joined = (name: string) =>
      new Set(events.get(name)!.filter((e) => e.kind === "join").map((e) => e.subject)).size;
    await waitFor("every member to see 5 members", () => names.every((name) => joined(name) === 5), 10_000);
    for (const member of members) {
      const view = await member.members();
      assertEquals(view.length, 5, `${member.name} lists ${JSON.stringify(view)}`);
      assert(view.every((m) => m.state === "alive"), `${member.name} lists ${JSON.stringify(view)}`);
    }

    const victim = members[2]!;
    const killedAt = Date.now();
    victim.kill("SIGKILL");
    assertEquals((await victim.exited).signal, "SIGKILL");

    const observers = members.filter((m) => m !== victim);
    const leaveOf = (name: string) =>
      events.get(name)!.find((e) => e.kind === "leave" && e.subject === victim.name && e.t >= killedAt);
    await waitFor(
      `every live member to report ${victim.name} failed`,
      () => observers.every((m) => leaveOf(m.name) !== undefined),
      15_000,
    );
    for (const observer of observers) {
      const leave = leaveOf(observer.name)!;
      assertEquals(leave.state, "failed");
      assertEquals(leave.address, `127.0.0.1:${portList[2]}`);
      assert(leave.t - killedAt < 15_000);
    }
    const suspects = observers.flatMap((m) =>
      events.get(m.name)!.filter((e) => e.kind === "suspect" && e.subject === victim.name)
    );
    assert(suspects.length > 0, "no member logged a failed probe of the victim");
    const view = await observers[0]!.members();
    assertEquals(view.find((m) => m.name === victim.name)?.state, "dead");
  } finally {
    await Promise.all(members.map((member) => member.close()));
  }
});
