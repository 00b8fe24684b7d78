import { assert, assertEquals, assertThrows } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage, encodeHeartbeatList } from "../lib/basic/codec.ts";
import { DecodeError } from "../lib/core/wire.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { simulate } from "../lib/sim/simulate.ts";

import { A, B, C, detector, T } from "./_basic_fixture.ts";

Deno.test("tick() gossips the whole list to one other member once per T_gossip, incrementing its heartbeat", () => {
  const d = detector();
  const first = d.nextDeadlineMs();
  assert(first >= 0 && first < T.tGossipMs, "first gossip at a random phase within the first period");
  const step = d.tick(first);
  assertEquals(step.sends.length, 1);
  const send = step.sends[0]!;
  assert(send.to === B || send.to === C);
  const m = decodeMessage(send.bytes);
  assertEquals(Array.from(m.members).sort(), [A, B, C].sort());
  assertEquals(m.counters[Array.from(m.members).indexOf(A)], 1);
  assertEquals(d.nextDeadlineMs(), first + T.tGossipMs);
  assertEquals(d.tick(first + 500).sends.length, 0, "nothing before the next period");
  assertEquals(d.tick(first + 1000).sends.length, 1);
  assertEquals(d.heartbeat, 2);
});

Deno.test("tick() skips periods it was late for instead of bursting", () => {
  const d = detector();
  const first = d.nextDeadlineMs();
  d.tick(first);
  const step = d.tick(first + 5_500);
  assertEquals(step.sends.length, 1);
  assertEquals(d.nextDeadlineMs(), first + 6_000);
});

Deno.test("tick() picks targets uniformly among members it does not consider failed", () => {
  const members = Array.from({ length: 5 }, (_, i) => loopbackId(8000 + i));
  const d = createBasicGossipDetector({
    self: members[0]!,
    members,
    ...T,
    tFailMs: 1e12,
    tCleanupMs: 1e12,
    rng: seededPrng(9),
    startMs: 0,
  });
  const counts = new Map<number, number>();
  let t = d.nextDeadlineMs();
  for (let i = 0; i < 4000; i++, t += T.tGossipMs) {
    for (const s of d.tick(t).sends) counts.set(s.to, (counts.get(s.to) ?? 0) + 1);
  }
  assertEquals(counts.size, 4);
  for (const c of counts.values()) assert(Math.abs(c - 1000) < 120, `count ${c} far from 1000`);
});

Deno.test("receive() keeps the larger counter and refreshes only counters that grew", () => {
  const d = detector();
  d.receive(B, encodeHeartbeatList([B, C], [5, 3]), 100);
  assertEquals(d.counterOf(B), 5);
  d.receive(C, encodeHeartbeatList([B, C], [4, 9]), 200);
  assertEquals([d.counterOf(B), d.counterOf(C)], [5, 9]);
  // B last grew at 100, C at 200: B fails first, exactly T_fail after its last increase.
  assertEquals(d.tick(100 + T.tFailMs - 1).events.filter((e) => e.kind === "failed").length, 0);
  const failed = d.tick(100 + T.tFailMs).events.filter((e) => e.kind === "failed");
  assertEquals(failed.map((e) => e.member), [B]);
  assertEquals(d.nextDeadlineMs() <= 200 + T.tFailMs, true);
});

Deno.test("receive() adds an unknown member and reports it joined", () => {
  const d = detector();
  const D = loopbackId(7004);
  const step = d.receive(B, encodeHeartbeatList([B, D], [1, 1]), 50);
  assertEquals(step.events.map((e) => [e.kind, e.member]), [["joined", D]]);
  assert(d.knownMembers().includes(D));
});

Deno.test("a failed member is not gossiped, is removed at T_cleanup, and late stale gossip cannot revive it before then", () => {
  const d = detector();
  d.receive(C, encodeHeartbeatList([B, C], [0, 7]), 5000);
  const at = T.tFailMs;
  const events = d.tick(at).events;
  assert(events.some((e) => e.kind === "failed" && e.member === B));
  // A late copy of B's old counter neither revives nor refreshes it.
  assertEquals(d.receive(C, encodeHeartbeatList([B], [0]), at + 10).events.length, 0);
  assertEquals(d.failedMembers().includes(B), true);
  // Gossip no longer lists or targets B.
  let t = d.nextDeadlineMs();
  while (t < at + 3000) {
    for (const s of d.tick(t).sends) {
      assert(s.to !== B);
      assert(!Array.from(decodeMessage(s.bytes).members).includes(B));
    }
    t = d.nextDeadlineMs();
  }
  const removal = d.tick(T.tCleanupMs).events.filter((e) => e.kind === "removed");
  assertEquals(removal.map((e) => e.member), [B]);
  assertEquals(d.knownMembers().includes(B), false);
});

Deno.test("receive() trusts a failed member again when its counter grows", () => {
  const d = detector();
  d.tick(T.tFailMs);
  assert(d.failedMembers().includes(B));
  const step = d.receive(C, encodeHeartbeatList([B], [1]), T.tFailMs + 1);
  assertEquals(step.events.map((e) => [e.kind, e.member]), [["trusted", B]]);
  assertEquals(d.failedMembers().includes(B), false);
});

Deno.test("receive() follows counters across the 16-bit wrap", () => {
  const d = detector();
  for (const [i, c] of [30000, 60000, 65534].entries()) d.receive(B, encodeHeartbeatList([B], [c]), i);
  d.receive(B, encodeHeartbeatList([B], [2]), 5);
  assertEquals(d.counterOf(B), 65534 + 4);
  d.receive(B, encodeHeartbeatList([B], [65535]), 6);
  assertEquals(d.counterOf(B), 65534 + 4, "an older counter across the wrap is ignored");
});

Deno.test("receive() throws DecodeError for malformed bytes and changes nothing", () => {
  const d = detector();
  const bad = encodeHeartbeatList([B], [9]);
  bad[10]! ^= 0xff;
  assertThrows(() => d.receive(B, bad, 5), DecodeError);
  assertEquals(d.counterOf(B), 0);
});

Deno.test("simulated group: no mistakes without faults, and a crash detected by everyone within T_fail plus propagation", () => {
  const n = 30;
  const ids = Array.from({ length: n }, (_, i) => loopbackId(9000 + i));
  const cfg = { tGossipMs: 1000, tFailMs: 15_000, tCleanupMs: 30_000 };
  const detectors = ids.map((self, i) =>
    createBasicGossipDetector({ self, members: ids, ...cfg, rng: seededPrng(100 + i), startMs: 0 })
  );
  const crashAt = 60_000;
  const result = simulate({ detectors, untilMs: 120_000, crashes: [{ member: ids[3]!, atMs: crashAt }] });
  const failed = result.events.filter((e) => e.kind === "failed" && e.observer !== ids[3]);
  assertEquals(failed.filter((e) => e.member !== ids[3]).length, 0, "no mistakes");
  const detections = failed.filter((e) => e.member === ids[3]);
  assertEquals(new Set(detections.map((e) => e.observer)).size, n - 1);
  for (const e of detections) {
    const latency = e.atMs - crashAt;
    assert(latency >= cfg.tFailMs - cfg.tGossipMs && latency <= cfg.tFailMs + 10 * cfg.tGossipMs, `latency ${latency}`);
  }
  assertEquals(result.bytes, result.datagrams > 0 ? result.bytes : 0);
});

Deno.test("simulate() with the same seed replays the same run", () => {
  const run = () => {
    const ids = Array.from({ length: 10 }, (_, i) => loopbackId(9500 + i));
    const detectors = ids.map((self, i) =>
      createBasicGossipDetector({
        self,
        members: ids,
        tGossipMs: 500,
        tFailMs: 2000,
        tCleanupMs: 4000,
        rng: seededPrng(i),
        startMs: 0,
      })
    );
    return simulate({ detectors, untilMs: 30_000, loss: 0.3, rng: seededPrng(77) });
  };
  const a = run();
  const b = run();
  assertEquals(a.events, b.events);
  assertEquals([a.datagrams, a.lost], [b.datagrams, b.lost]);
  assert(a.events.some((e) => e.kind === "failed"), "30% loss with a tight T_fail makes mistakes");
});
