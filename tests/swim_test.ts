import { assert, assertEquals, assertThrows } from "@std/assert";
import { DecodeError, encodeHeartbeatList, MessageKind } from "../lib/codec.ts";
import { loopbackId } from "../lib/member_id.ts";
import { seededPrng } from "../lib/prng.ts";
import { simulate } from "../lib/simulate.ts";
import { createSwimDetector } from "../lib/swim.ts";
import { decodeSwim, encodeSwim, SwimStatus } from "../lib/swim_codec.ts";
import { swimExpectedDetectionPeriods } from "../lib/model/swim.ts";

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
