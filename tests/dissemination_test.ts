import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage, encodeHeartbeatList, heartbeatListBytes } from "../lib/basic/codec.ts";
import { DecodeError, MessageKind, sealDatagram } from "../lib/core/wire.ts";
import { ConfigError } from "../lib/core/errors.ts";
import { loopbackId, type MemberId } from "../lib/core/member_id.ts";
import { broadcastExponentFor, broadcastProbability, meanBroadcastIntervalSeconds } from "../lib/model/catastrophe.ts";
import { seededPrng } from "../lib/core/prng.ts";

import { A, B, C, detector, T } from "./_basic_fixture.ts";

Deno.test("codec: a DigestAck carries its state count; a pull request with entries is rejected", () => {
  const bytes = encodeHeartbeatList([A, B, C], [5, 6, 7], 3, MessageKind.DigestAck, 2);
  assertEquals(bytes.length, heartbeatListBytes(3, MessageKind.DigestAck));
  assertEquals(bytes.length, heartbeatListBytes(3) + 2);
  const m = decodeMessage(bytes);
  assertEquals(m.kind, MessageKind.DigestAck);
  assertEquals(m.stateCount, 2);
  assertEquals(Array.from(m.counters), [5, 6, 7]);
  assertEquals(decodeMessage(encodeHeartbeatList([], [], 0, MessageKind.PullRequest)).kind, MessageKind.PullRequest);
  const bad = encodeHeartbeatList([A], [1], 1, MessageKind.PullRequest);
  assertThrows(() => decodeMessage(bad), DecodeError, "pull request with 1 entries");
  // A state count larger than the entries: re-sealed so only that field is wrong.
  const over = encodeHeartbeatList([A], [1], 1, MessageKind.DigestAck, 1);
  over[9] = 2;
  assertThrows(() => decodeMessage(sealDatagram(over, MessageKind.DigestAck, 1)), DecodeError, "state count of 2");
});

Deno.test("pull: a gossip is an empty request, answered with the whole list", () => {
  const d = detector({ style: "pull" });
  const step = d.tick(d.nextDeadlineMs());
  assertEquals(step.sends.length, 1);
  const req = decodeMessage(step.sends[0]!.bytes);
  assertEquals(req.kind, MessageKind.PullRequest);
  assertEquals(req.members.length, 0);
  const answer = d.receive(B, encodeHeartbeatList([], [], 0, MessageKind.PullRequest), 5);
  assertEquals(answer.sends.length, 1);
  assertEquals(answer.sends[0]!.to, B);
  const list = decodeMessage(answer.sends[0]!.bytes);
  assertEquals(list.kind, MessageKind.HeartbeatList);
  assertEquals(Array.from(list.members).sort(), [A, B, C].sort());
});

Deno.test("push-pull: the receiver merges the list and answers with its own", () => {
  const d = detector({ style: "push-pull" });
  const step = d.receive(B, encodeHeartbeatList([B, C], [4, 9], 2, MessageKind.PushPull), 100);
  assertEquals(d.counterOf(C), 9);
  assertEquals(step.sends.length, 1);
  const reply = decodeMessage(step.sends[0]!.bytes);
  assertEquals(reply.kind, MessageKind.HeartbeatList);
  assertEquals(reply.counters[Array.from(reply.members).indexOf(C)], 9);
});

Deno.test("digest: SYN is not state; ACK carries what the receiver has newer and asks for the rest; ACK2 answers", () => {
  const x = detector({ style: "digest" });
  const y = createBasicGossipDetector({
    self: B,
    members: [A, B, C],
    ...T,
    rng: seededPrng(2),
    startMs: 0,
    style: "digest",
  });
  // y has a newer C and its own heartbeat 1; x has its own heartbeat 1 (after its SYN).
  y.receive(C, encodeHeartbeatList([C], [7]), 1);
  y.tick(y.nextDeadlineMs());
  const syn = x.tick(x.nextDeadlineMs()).sends[0]!;
  assertEquals(decodeMessage(syn.bytes).kind, MessageKind.DigestSyn);
  const ack = y.receive(A, syn.bytes, 1000);
  assertEquals(y.counterOf(A), 0, "a digest is not merged as state");
  const ackMessage = decodeMessage(ack.sends[0]!.bytes);
  assertEquals(ackMessage.kind, MessageKind.DigestAck);
  const state = Array.from(ackMessage.members.subarray(0, ackMessage.stateCount));
  const requests = Array.from(ackMessage.members.subarray(ackMessage.stateCount));
  assert(state.includes(C) && state.includes(B), "y's newer C and its own heartbeat are state");
  assertEquals(requests, [A], "y asks for x's newer heartbeat");
  const ack2 = x.receive(B, ack.sends[0]!.bytes, 1010);
  assertEquals(x.counterOf(C), 7);
  const ack2Message = decodeMessage(ack2.sends[0]!.bytes);
  assertEquals(ack2Message.kind, MessageKind.HeartbeatList);
  assertEquals(Array.from(ack2Message.members), [A]);
  y.receive(A, ack2.sends[0]!.bytes, 1020);
  assertEquals(y.counterOf(A), 1);
});

Deno.test("multi-level targets: another subnet w.p. 1/n, another domain w.p. 1/(n m), else the own subnet", () => {
  // 2 domains x 2 subnets x 5 hosts: n = 5, m = 2.
  const ids: MemberId[] = Array.from({ length: 20 }, (_, i) => loopbackId(9000 + i));
  const levelOf = (id: MemberId) => {
    const i = ids.indexOf(id);
    return i < 0 ? undefined : { subnet: Math.floor(i / 5), domain: Math.floor(i / 10) };
  };
  const d = createBasicGossipDetector({
    self: ids[0]!,
    members: ids,
    tGossipMs: 1000,
    tFailMs: 1e9,
    tCleanupMs: 2e9,
    rng: seededPrng(5),
    startMs: 0,
    topology: { levelOf },
  });
  const counts = { own: 0, subnet: 0, domain: 0 };
  const rounds = 40_000;
  for (let k = 0; k < rounds; k++) {
    const to = d.tick(d.nextDeadlineMs()).sends[0]!.to;
    const level = levelOf(to)!;
    if (level.subnet === 0) counts.own++;
    else if (level.domain === 0) counts.subnet++;
    else counts.domain++;
  }
  // Expected fractions 1/10, 1/5 and 7/10; 4.5 binomial sd.
  for (const [got, p] of [[counts.domain, 1 / 10], [counts.subnet, 1 / 5], [counts.own, 7 / 10]] as const) {
    const sd = Math.sqrt(rounds * p * (1 - p));
    assert(Math.abs(got - rounds * p) < 4.5 * sd, `${got} vs ${rounds * p}`);
  }
});

Deno.test("catastrophe model: a of about 10.4 gives a 10 s mean for 1000 members (the paper's figure)", () => {
  assertAlmostEquals(broadcastExponentFor(1000, 10), 10.4, 0.05);
  assertAlmostEquals(meanBroadcastIntervalSeconds(1000, broadcastExponentFor(1000, 10)), 10, 1e-6);
  assertEquals(broadcastProbability(20, 3), 1);
  assertAlmostEquals(broadcastProbability(10, 2), 0.25, 1e-12);
  // One member alone: mean = sum of prod (1 - (t/20)^a).
  let s = 1;
  let mean = 1;
  for (let t = 1; t < 20; t++) {
    s *= 1 - Math.pow(t / 20, 2);
    mean += s;
  }
  assertAlmostEquals(meanBroadcastIntervalSeconds(1, 2), mean, 1e-9);
});

Deno.test("catastrophe: broadcasts follow p(t), stop gossip to a silent member at T_fail, report it later", () => {
  const bcast = loopbackId(9999);
  const d = detector({
    catastrophe: { broadcastAddress: bcast, exponent: 2, reportAfterMs: 15_000 },
  });
  const sends: { to: MemberId; at: number; kind: number }[] = [];
  const failedAt: number[] = [];
  // B keeps gossiping; C is silent from the start.
  let t = 0;
  while (t < 30_000) {
    t = d.nextDeadlineMs();
    const step = d.tick(t);
    for (const s of step.sends) sends.push({ to: s.to, at: t, kind: decodeMessage(s.bytes).kind });
    for (const e of step.events) if (e.kind === "failed" && e.member === C) failedAt.push(e.atMs);
    if (Math.floor(t / 1000) % 2 === 0) d.receive(B, encodeHeartbeatList([B], [Math.floor(t / 1000) + 1]), t);
  }
  const broadcasts = sends.filter((s) => s.kind === MessageKind.Broadcast);
  assert(broadcasts.length > 0 && broadcasts.every((s) => s.to === bcast));
  assertEquals(failedAt.length, 1);
  assert(failedAt[0]! >= 15_000 && failedAt[0]! < 16_000, `reported at ${failedAt[0]}`);
  const gossipToC = sends.filter((s) => s.to === C && s.kind === MessageKind.HeartbeatList).map((s) => s.at);
  assert(gossipToC.every((at) => at < 10_000 + 1000), "no gossip to C after T_fail");
  // A broadcast heard resets t: p(1 s) = (1/20)^2 = 0.0025, so hearing one every second silences us.
  const quiet = detector({ catastrophe: { broadcastAddress: bcast, exponent: 2 } });
  let own = 0;
  for (let k = 1; k <= 2000; k++) {
    quiet.receive(B, encodeHeartbeatList([B], [k], 1, MessageKind.Broadcast), k * 1000 - 1);
    own += quiet.tick(k * 1000).sends.filter((s) => s.to === bcast).length;
  }
  assert(own < 20, `${own} broadcasts with t reset every second (expected about 5)`);
});

Deno.test("bad style, exponent or report delay are errors naming the field", () => {
  assertThrows(() => detector({ style: "gossip" as never }), ConfigError, "'style'");
  assertThrows(
    () => detector({ catastrophe: { broadcastAddress: C, exponent: -1 } }),
    ConfigError,
    "'catastrophe.exponent'",
  );
  assertThrows(
    () => detector({ catastrophe: { broadcastAddress: C, exponent: 2, reportAfterMs: 5000 } }),
    ConfigError,
    "'catastrophe.reportAfterMs'",
  );
});
