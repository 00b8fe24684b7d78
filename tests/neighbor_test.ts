import { assert, assertEquals, assertThrows } from "@std/assert";
import { MessageKind, sealDatagram } from "../lib/core/wire.ts";
import { ConfigError } from "../lib/core/errors.ts";
import { loopbackId, type MemberId } from "../lib/core/member_id.ts";
import { createNeighborDetector, type NeighborOptions } from "../lib/neighbor/detector.ts";
import { decodeNeighborMessage } from "../lib/neighbor/codec.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { simulate } from "../lib/sim/simulate.ts";

const ids: MemberId[] = Array.from({ length: 10 }, (_, i) => loopbackId(8000 + i));

function make(self: MemberId, overrides: Partial<NeighborOptions> = {}) {
  return createNeighborDetector({ self, members: ids, rng: seededPrng(self % 65536), startMs: 0, ...overrides });
}

Deno.test("neighbour pings: each member pings its two next-higher and two next-lower ids, wrapping", () => {
  assertEquals(make(ids[0]!).pingTargets().sort(), [ids[1], ids[2], ids[8], ids[9]].sort());
  assertEquals(make(ids[5]!).pingTargets().sort(), [ids[3], ids[4], ids[6], ids[7]].sort());
  const d = make(ids[5]!);
  const step = d.tick(d.nextDeadlineMs());
  const pings = step.sends.filter((s) => decodeNeighborMessage(s.bytes).kind === MessageKind.NeighborPing);
  assertEquals(pings.map((s) => s.to).sort(), [ids[3], ids[4], ids[6], ids[7]].sort());
  const ack = d.receive(ids[3]!, pings[0]!.bytes, 1);
  assertEquals(decodeNeighborMessage(ack.sends[0]!.bytes).kind, MessageKind.NeighborAck);
});

Deno.test("neighbour pings: one pinger's suspicion is not enough; two of the four declare the failure", () => {
  const d = make(ids[0]!);
  // Nobody answers: after three missed pings d suspects all four neighbours, but alone it declares nothing.
  let t = 0;
  const events: string[] = [];
  const accusations: MemberId[] = [];
  for (let k = 0; k < 5; k++) {
    t = d.nextDeadlineMs();
    const step = d.tick(t);
    for (const e of step.events) events.push(`${e.kind}:${e.member}`);
    for (const s of step.sends) {
      if (decodeNeighborMessage(s.bytes).kind === MessageKind.NeighborAccuse) accusations.push(s.to);
    }
  }
  assert(events.includes(`suspected:${ids[1]}`));
  assert(!events.some((e) => e.startsWith("failed")), "one pinger alone declares nothing");
  assert(accusations.length > 0, "accusations go to the suspect's other pingers");
  // A second pinger of ids[1] (ids[2] is one) accuses it too: quorum 2 reached.
  const fromOther = make(ids[2]!);
  let accusationBytes: Uint8Array | undefined;
  for (let k = 0; k < 6 && !accusationBytes; k++) {
    const step = fromOther.tick(fromOther.nextDeadlineMs());
    accusationBytes = step.sends.find((s) =>
      s.to === ids[0] && decodeNeighborMessage(s.bytes).kind === MessageKind.NeighborAccuse &&
      decodeNeighborMessage(s.bytes).ids[0] === ids[1]
    )?.bytes;
  }
  assert(accusationBytes, "ids[2] accuses ids[1] to ids[0], a fellow pinger");
  const step = d.receive(ids[2]!, accusationBytes, t + 1);
  assert(step.events.some((e) => e.kind === "failed" && e.member === ids[1]));
  assert(d.failedMembers().includes(ids[1]!));
  // The failure is gossiped every 100 ms from now on.
  const next = d.nextDeadlineMs();
  assert(next <= t + 1 + 100, `notice due at ${next}`);
});

Deno.test("neighbour pings (simulated): a crash is declared by everyone within seconds", () => {
  const group = ids.map((id) => make(id));
  const r = simulate({ detectors: group, untilMs: 40_000, crashes: [{ member: ids[4]!, atMs: 10_000 }] });
  const failed = r.events.filter((e) => e.kind === "failed" && e.member === ids[4]);
  const observers = new Set(failed.map((e) => e.observer));
  observers.delete(ids[4]!);
  assertEquals(observers.size, ids.length - 1);
  const last = Math.max(...failed.filter((e) => e.observer !== ids[4]).map((e) => e.atMs));
  assert(last - 10_000 < 6_000, `everyone knew after ${last - 10_000} ms (3 missed pings + notices)`);
});

/** A notice datagram about one member with state incarnation * 2 + dead. */
function notice(member: MemberId, state: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, Math.floor(member / 65536));
  view.setUint16(12, member % 65536);
  view.setUint16(14, state);
  return sealDatagram(bytes, MessageKind.NeighborNotice, 1);
}

Deno.test("neighbour pings: a member declared dead refutes with a higher incarnation, and peers trust it again", () => {
  const victim = make(ids[0]!);
  const peer = make(ids[5]!);
  assert(peer.receive(ids[3]!, notice(ids[0]!, 1), 5).events.some((e) => e.kind === "failed"));
  victim.receive(ids[3]!, notice(ids[0]!, 1), 5);
  assertEquals(victim.incarnation, 1);
  // The victim's next notice round carries its refutation (incarnation 1, alive).
  let refutation: Uint8Array | undefined;
  for (let k = 0; k < 50 && !refutation; k++) {
    refutation = victim.tick(victim.nextDeadlineMs()).sends.find((s) =>
      decodeNeighborMessage(s.bytes).kind === MessageKind.NeighborNotice
    )?.bytes;
  }
  assert(refutation);
  assertEquals(decodeNeighborMessage(refutation).states, [2]);
  const back = peer.receive(ids[0]!, refutation, 200);
  assert(back.events.some((e) => e.kind === "trusted" && e.member === ids[0]));
  assert(!peer.failedMembers().includes(ids[0]!));
  // A stale accusation about the old incarnation no longer counts; an old dead notice is ignored.
  assertEquals(peer.receive(ids[3]!, notice(ids[0]!, 1), 300).events.length, 0);
});

Deno.test("neighbour pings: bad settings are errors naming the field", () => {
  assertThrows(() => make(ids[0]!, { quorum: 5 }), ConfigError, "'quorum'");
  assertThrows(() => make(ids[0]!, { pingTimeoutMs: 2000 }), ConfigError, "'pingTimeoutMs'");
  assertThrows(() => make(ids[0]!, { missesToSuspect: 0 }), ConfigError, "'missesToSuspect'");
});
