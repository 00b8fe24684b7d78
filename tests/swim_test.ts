import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { encodeHeartbeatList } from "../lib/basic/codec.ts";
import { DecodeError, MessageKind } from "../lib/core/wire.ts";
import { ConfigError } from "../lib/core/errors.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { simulate } from "../lib/sim/simulate.ts";
import { createSwimDetector, type SwimOptions } from "../lib/swim/detector.ts";
import { decodeSwim, encodeSwim, SwimStatus } from "../lib/swim/codec.ts";
import { resolveSwimOptions, SWIM_DEFAULTS, type SwimProtocolOptions } from "../lib/swim/options.ts";
import * as suspicion from "../lib/swim/suspicion.ts";
import * as lifeguardModel from "../lib/model/lifeguard.ts";
import { swimExpectedDetectionPeriods } from "../lib/model/swim.ts";

/** An ack from a peer carrying one update (how updates reach a detector in these tests). */
const ackWith = (seq: number, member: number, status: SwimStatus) =>
  encodeSwim({ kind: MessageKind.SwimAck, seq, target: 0, updates: [{ member, incarnation: 0, status }] });

const ids = (n: number) => Array.from({ length: n }, (_, i) => loopbackId(30_000 + i));
const group = (n: number, seed = 1) =>
  ids(n).map((self, i, all) =>
    createSwimDetector({ self, members: all, rng: seededPrng(seed * 1000 + i), startMs: 0 })
  );

Deno.test("encodeSwim() round-trips; decodeSwim() rejects malformed SWIM messages", () => {
  const m = {
    kind: MessageKind.SwimPingReq,
    seq: 7,
    target: loopbackId(9),
    updates: [{ member: loopbackId(10), incarnation: 3, status: SwimStatus.Suspect }],
  } as const;
  assertEquals(decodeSwim(encodeSwim(m)), m);
  const bad = encodeSwim(m);
  bad[20]! ^= 4;
  assertThrows(() => decodeSwim(bad), DecodeError);
  assertThrows(() => decodeSwim(encodeHeartbeatList([loopbackId(1)], [1])), DecodeError, "kind");
  assertThrows(() => decodeSwim(encodeSwim({ ...m, target: 0 })), DecodeError, "target");
});

Deno.test("SWIM: no suspicion and no failure in a quiet group", () => {
  const r = simulate({ detectors: group(20), untilMs: 300_000 });
  assertEquals(r.events.filter((e) => e.kind === "suspected" || e.kind === "failed").length, 0);
});

Deno.test("SWIM: a crashed member is suspected about 1.58 periods after the crash, then declared dead by everyone", () => {
  const members = ids(30);
  const detectors = group(30, 2);
  const crashAt = 60_000;
  const r = simulate({ detectors, untilMs: 200_000, crashes: [{ member: members[4]!, atMs: crashAt }] });
  const suspected = r.events.filter((e) => e.kind === "suspected" && e.member === members[4]);
  const first = Math.min(...suspected.map((e) => e.atMs)) - crashAt;
  // SWIM's expected first detection is 1/(1 - e^-q_f) periods (about 1.58), plus the period the probe runs.
  assert(first > 0 && first < 6 * 1000 * swimExpectedDetectionPeriods(1), `first suspicion after ${first} ms`);
  const failed = new Set(r.events.filter((e) => e.kind === "failed" && e.member === members[4]).map((e) => e.observer));
  assertEquals(failed.size, 29, "every live member declares it dead");
  assertEquals(
    r.events.filter((e) => e.kind === "failed" && e.member !== members[4] && e.observer !== members[4]).length,
    0,
  );
});

Deno.test("SWIM: a member hearing it is suspected refutes with a higher incarnation", () => {
  const [a, b] = ids(2);
  const d = createSwimDetector({ self: a!, members: [a!, b!], rng: seededPrng(1), startMs: 0 });
  const ping = encodeSwim({
    kind: MessageKind.SwimPing,
    seq: 1,
    target: 0,
    updates: [{ member: a!, incarnation: 0, status: SwimStatus.Suspect }],
  });
  const step = d.receive(b!, ping, 10);
  assertEquals(d.incarnation, 1);
  const ack = decodeSwim(step.sends[0]!.bytes);
  assertEquals(ack.kind, MessageKind.SwimAck);
  assert(ack.updates.some((u) => u.member === a && u.status === SwimStatus.Alive && u.incarnation === 1));
});

Deno.test("SWIM: with 10% loss, suspicions are refuted and nobody live is declared dead", () => {
  const r = simulate({ detectors: group(20, 3), untilMs: 300_000, loss: 0.1, rng: seededPrng(5) });
  const suspicions = r.events.filter((e) => e.kind === "suspected").length;
  assertEquals(r.events.filter((e) => e.kind === "failed").length, 0);
  assert(suspicions > 0, "loss makes suspicions; refutation clears them");
  assert(r.events.some((e) => e.kind === "trusted"), "refuted members are trusted again");
});

Deno.test("Lifeguard: independent confirmations shrink the suspicion timeout from 6x the minimum to the minimum", () => {
  const [a, b, c, d, x] = ids(5);
  const swim = createSwimDetector({ self: a!, members: ids(5), rng: seededPrng(1), startMs: 0, lifeguard: true });
  const suspectX = ackWith(99, x!, SwimStatus.Suspect);
  // min = 4 x max(1, log10 5) x 1 s = 4 s; max = 24 s; K = 2 confirmations.
  assertEquals(swim.receive(b!, suspectX, 0).events.map((e) => e.kind), ["suspected"]);
  assertEquals(swim.statusOf(x!), "suspect");
  swim.receive(c!, suspectX, 100); // one confirmation: 24 - 20 log 2 / log 3 = 11.38 s
  assertEquals(swim.tick(11_300).events.filter((e) => e.kind === "failed").length, 0);
  swim.receive(d!, suspectX, 11_350); // two: down to the minimum, 4 s, already past
  assertEquals(swim.tick(11_360).events.filter((e) => e.kind === "failed").map((e) => e.member), [x]);
});

Deno.test("Lifeguard: failed probes raise the local health score and stretch the period; acks lower it", () => {
  const [a, b] = ids(2);
  const swim = createSwimDetector({ self: a!, members: [a!, b!], rng: seededPrng(2), startMs: 0, lifeguard: true });
  let t = swim.nextDeadlineMs();
  const periods: number[] = [];
  for (let k = 0; k < 6; k++) {
    swim.tick(t); // probes b, which never answers
    const next = swim.nextDeadlineMs();
    swim.tick(next); // ping-req time (no helper here), or the next period
    t = swim.nextDeadlineMs();
    periods.push(t);
  }
  assert(swim.health >= 3, `health ${swim.health}`);
  const gaps = periods.slice(1).map((p, i) => p - periods[i]!);
  assert(gaps.at(-1)! > gaps[0]!, `periods stretch: ${gaps}`);
});

Deno.test("Lifeguard buddy system: a ping to a suspected member carries its suspicion first", () => {
  const [a, b, x] = ids(3);
  const swim = createSwimDetector({
    self: a!,
    members: ids(3),
    rng: seededPrng(3),
    startMs: 0,
    lifeguard: true,
    maxPiggyback: 1,
  });
  // A suspicion of x, sent once (on an ack to b), then fresh updates about others that have been sent fewer times.
  const ping = encodeSwim({ kind: MessageKind.SwimPing, seq: 7, target: 0, updates: [] });
  swim.receive(b!, ackWith(1, x!, SwimStatus.Suspect), 0);
  assertEquals(decodeSwim(swim.receive(b!, ping, 0).sends[0]!.bytes).updates[0]!.member, x);
  for (let i = 0; i < 5; i++) swim.receive(b!, ackWith(2 + i, loopbackId(31_000 + i), SwimStatus.Alive), 1);
  assertEquals(decodeSwim(swim.receive(b!, ping, 1).sends[0]!.bytes).updates[0]!.member, loopbackId(31_000));
  const ack = swim.receive(x!, ping, 2).sends.find((s) => s.to === x)!;
  assertEquals(decodeSwim(ack.bytes).updates[0], { member: x!, incarnation: 0, status: SwimStatus.Suspect });
});

Deno.test("Lifeguard in a simulated group: quiet group without failures, crash detected by everyone", () => {
  const members = ids(20);
  const make = () =>
    members.map((self, i) =>
      createSwimDetector({ self, members, rng: seededPrng(700 + i), startMs: 0, lifeguard: true })
    );
  assertEquals(simulate({ detectors: make(), untilMs: 200_000 }).events.filter((e) => e.kind === "failed").length, 0);
  const r = simulate({ detectors: make(), untilMs: 250_000, crashes: [{ member: members[7]!, atMs: 60_000 }] });
  const observers = new Set(
    r.events.filter((e) => e.kind === "failed" && e.member === members[7]).map((e) => e.observer),
  );
  observers.delete(members[7]!);
  assertEquals(observers.size, 19);
});

Deno.test("memberlist-style separate gossip sends queued updates to gossipNodes members, and nothing when the queue is empty", () => {
  const members = ids(6);
  const [a, b, x] = members;
  const swim = createSwimDetector({
    self: a!,
    members,
    rng: seededPrng(4),
    startMs: 0,
    gossipIntervalMs: 200,
    gossipNodes: 3,
  });
  const gossips = (t: number) => swim.tick(t).sends.filter((s) => decodeSwim(s.bytes).kind === MessageKind.SwimGossip);
  assertEquals(gossips(1).length + gossips(201).length, 0, "nothing queued, nothing gossiped");
  swim.receive(
    b!,
    ackWith(1, x!, SwimStatus.Suspect),
    300,
  );
  const sent = gossips(401);
  assertEquals(sent.length, 3);
  assertEquals(new Set(sent.map((s) => s.to)).size, 3);
  assert(sent.every((s) => decodeSwim(s.bytes).updates.some((u) => u.member === x && u.status === SwimStatus.Suspect)));
});

Deno.test("resolveSwimOptions() fills the documented defaults for a group size", () => {
  const o = resolveSwimOptions({}, 100);
  assertEquals(o, {
    members: 100,
    protocolPeriodMs: 1000,
    pingTimeoutMs: 500,
    indirectChecks: 3,
    suspicionMult: 4,
    suspicionTimeoutMs: 8000,
    suspicionMaxMs: 8000,
    confirmationsNeeded: 2,
    retransmitMult: 4,
    retransmits: 12,
    maxPiggyback: 8,
    gossipIntervalMs: null,
    gossipNodes: 3,
    awareness: false,
    dynamicSuspicion: false,
    buddy: false,
    maxHealthMultiplier: 8,
  });
  assertEquals(resolveSwimOptions({ protocolPeriodMs: 400 }, 10).pingTimeoutMs, 200, "min(500, T'/2)");
  assertEquals(SWIM_DEFAULTS.pingTimeoutMs, 500);
  // The shorthand turns on all three parts; a part given explicitly wins.
  const lg = resolveSwimOptions({ lifeguard: true, buddy: false }, 100);
  assertEquals([lg.awareness, lg.dynamicSuspicion, lg.buddy, lg.suspicionMaxMs], [true, true, false, 48_000]);
  assertEquals(resolveSwimOptions({ suspicionTimeoutMs: 1234, gossipIntervalMs: null }, 100).suspicionTimeoutMs, 1234);
});

Deno.test("resolveSwimOptions() throws a ConfigError (a RangeError) naming the field", () => {
  const table: [SwimProtocolOptions, string][] = [
    [{ protocolPeriodMs: 0 }, "protocolPeriodMs"],
    [{ protocolPeriodMs: 500, pingTimeoutMs: 500 }, "pingTimeoutMs"],
    [{ pingTimeoutMs: -1 }, "pingTimeoutMs"],
    [{ indirectChecks: 1.5 }, "indirectChecks"],
    [{ suspicionMult: 0 }, "suspicionMult"],
    [{ suspicionTimeoutMs: Infinity }, "suspicionTimeoutMs"],
    [{ retransmitMult: -1 }, "retransmitMult"],
    [{ maxPiggyback: 100_000 }, "maxPiggyback"],
    [{ gossipIntervalMs: 0 }, "gossipIntervalMs"],
    [{ gossipNodes: -1 }, "gossipNodes"],
    [{ maxHealthMultiplier: 0 }, "maxHealthMultiplier"],
  ];
  for (const [options, field] of table) {
    const error = assertThrows(() => resolveSwimOptions(options, 10), ConfigError, `'${field}'`);
    assert(error instanceof RangeError);
    assertEquals(error.field, field);
  }
  assertEquals(assertThrows(() => resolveSwimOptions({}, 0), ConfigError).field, "members");
  const [a, b] = ids(2);
  assertThrows(
    () => createSwimDetector({ self: a!, members: [a!, b!], rng: seededPrng(1), startMs: 0, pingTimeoutMs: 1000 }),
    ConfigError,
    "below 'protocolPeriodMs'",
  );
});

Deno.test("suspicion formulas: memberlist's values, and the model re-exports the detector's copy", () => {
  assertEquals(suspicion.swimSuspicionTimeoutMs(4, 100, 1000), 8000);
  assertEquals(suspicion.swimSuspicionTimeoutMs(4, 5, 1000), 4000, "log10 n is floored at 1");
  assertEquals(suspicion.lifeguardConfirmationsNeeded(4), 2);
  assertEquals(suspicion.lifeguardConfirmationsNeeded(2.5), 1, "K >= 1");
  const table: [number, number][] = [[0, 48_000], [1, 22_762.81], [2, 8000], [5, 8000]];
  for (const [c, ms] of table) {
    assertAlmostEquals(suspicion.lifeguardSuspicionTimeoutMs(c, 2, 8000), ms, 0.01);
    assertAlmostEquals(suspicion.remainingSuspicionMs(c, 2, 3000, 8000), ms - 3000, 0.01);
  }
  assert(lifeguardModel.lifeguardSuspicionTimeoutMs === suspicion.lifeguardSuspicionTimeoutMs);
  assert(lifeguardModel.remainingSuspicionMs === suspicion.remainingSuspicionMs);
  assert(lifeguardModel.swimSuspicionTimeoutMs === suspicion.swimSuspicionTimeoutMs);
  assertEquals(
    lifeguardModel.suspicionTimeoutMs({ members: 100, confirmations: 1 }).timeoutMs,
    suspicion.lifeguardSuspicionTimeoutMs(1, 2, 8000),
  );
});

Deno.test("createSwimDetector() declares a suspect dead exactly when suspicion.ts says, after C confirmations", () => {
  const members = ids(8);
  const [a, x] = [members[0]!, members[7]!];
  const min = suspicion.swimSuspicionTimeoutMs(4, 8, 1000);
  for (let c = 0; c <= 3; c++) {
    const swim = createSwimDetector({ self: a, members, rng: seededPrng(c), startMs: 0, dynamicSuspicion: true });
    for (let k = 0; k <= c; k++) swim.receive(members[1 + k]!, ackWith(1, x, SwimStatus.Suspect), 0);
    const deadline = suspicion.lifeguardSuspicionTimeoutMs(c, suspicion.lifeguardConfirmationsNeeded(4), min);
    const failed = (t: number) => swim.tick(t).events.some((e) => e.kind === "failed" && e.member === x);
    assert(!failed(deadline - 1e-6), `not before ${deadline} ms with ${c} confirmations`);
    assert(failed(deadline), `at ${deadline} ms with ${c} confirmations`);
  }
});

Deno.test("Lifeguard's three parts switch on one by one", () => {
  const members = ids(5);
  const [a, b, x] = [members[0]!, members[1]!, members[4]!];
  /** Local health after unanswered probes, when a suspicion heard at 0 ends, whether an ack to x carries it first. */
  const observe = (parts: Partial<SwimOptions>) => {
    const make = () =>
      createSwimDetector({ self: a, members, rng: seededPrng(5), startMs: 0, maxPiggyback: 1, ...parts });
    const lonely = make();
    for (let k = 0; k < 8; k++) lonely.tick(lonely.nextDeadlineMs());
    const swim = make();
    const ping = encodeSwim({ kind: MessageKind.SwimPing, seq: 7, target: 0, updates: [] });
    swim.receive(b, ackWith(1, x, SwimStatus.Suspect), 0);
    swim.receive(b, ping, 0); // the ack to b carries the suspicion once
    swim.receive(b, ackWith(2, loopbackId(31_000), SwimStatus.Alive), 0); // joins: now the least-sent update
    const ack = decodeSwim(swim.receive(x, ping, 0).sends[0]!.bytes);
    let endsAt = 0;
    while (swim.statusOf(x) === "suspect") swim.tick(endsAt = swim.nextDeadlineMs());
    return {
      health: lonely.health > 0,
      longTimeout: endsAt > 4000,
      buddy: ack.updates[0]?.status === SwimStatus.Suspect,
    };
  };
  assertEquals(observe({}), { health: false, longTimeout: false, buddy: false });
  assertEquals(observe({ awareness: true }), { health: true, longTimeout: false, buddy: false });
  assertEquals(observe({ dynamicSuspicion: true }), { health: false, longTimeout: true, buddy: false });
  assertEquals(observe({ buddy: true }), { health: false, longTimeout: false, buddy: true });
  assertEquals(observe({ lifeguard: true }), { health: true, longTimeout: true, buddy: true });
  assertEquals(observe({ lifeguard: true, awareness: false }), { health: false, longTimeout: true, buddy: true });
});

Deno.test("createSwimDetector() probes every live member once per round, members heard of later included", () => {
  const members = ids(40);
  const self = members[0]!;
  // Knows 3 members at start (room for 4), hears of 36 more.
  const swim = createSwimDetector({ self, members: members.slice(0, 4), rng: seededPrng(8), startMs: 0 });
  for (const m of members.slice(4)) {
    assertEquals(swim.receive(members[1]!, ackWith(0, m, SwimStatus.Alive), 0).events.map((e) => e.kind), ["joined"]);
  }
  const dead = members[9]!;
  swim.receive(members[1]!, ackWith(0, dead, SwimStatus.Dead), 0);
  const probed: number[] = [];
  while (probed.length < 3 * 38) {
    const t = swim.nextDeadlineMs();
    for (const send of swim.tick(t).sends) {
      const m = decodeSwim(send.bytes);
      if (m.kind !== MessageKind.SwimPing) continue;
      probed.push(send.to);
      swim.receive(send.to, encodeSwim({ kind: MessageKind.SwimAck, seq: m.seq, target: 0, updates: [] }), t);
    }
  }
  // The first round started before the joins; every later run of 38 probes is one full round.
  for (let r = 1; r < 3; r++) {
    const round = new Set(probed.slice(r * 38 - 2, r * 38 + 36));
    assert(round.size >= 36, `round ${r} probes ${round.size} distinct members`);
  }
  assert(!probed.includes(dead) && !probed.includes(self));
  assertEquals(new Set(probed).size, 38);
  assertEquals(swim.statusOf(members[39]!), "alive");
  assertEquals(swim.statusOf(self), undefined);
});
