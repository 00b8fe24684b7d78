// deno-lint-ignore-file no-console -- the test reports its counts and rates per family.
// Hostile datagrams (issue 11): every detector family takes at least 10^6 seeded hostile datagrams
// through its decoder and `receive()`, interleaved with `tick()`s (the generator and the checks are
// in `_fuzz.ts`). The families run on FUZZ_WORKERS workers (default 2, CI's cores); FUZZ_DATAGRAMS
// overrides the count per family, e.g. for a quick local run. After it, the findings one by one.
import { assert, assertEquals } from "@std/assert";
import { FAMILIES, type Tally } from "./_fuzz.ts";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage, encodeHeartbeatList, MAX_ENTRIES } from "../lib/basic/codec.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { MessageKind } from "../lib/core/wire.ts";
import { createNeighborDetector } from "../lib/neighbor/detector.ts";
import { decodeNeighborMessage, encodeNeighborMessage } from "../lib/neighbor/codec.ts";
import { createSwimDetector } from "../lib/swim/detector.ts";
import { decodeSwim, encodeSwim, SwimStatus } from "../lib/swim/codec.ts";

const DATAGRAMS = Number(Deno.env.get("FUZZ_DATAGRAMS") ?? 1_000_000);
const WORKERS = Math.max(1, Number(Deno.env.get("FUZZ_WORKERS") ?? Math.min(2, navigator.hardwareConcurrency)));

type Outcome = { index: number; tally: Tally; ms: number; error?: undefined } | { index: number; error: string };

/** Runs every family, `WORKERS` at a time, each in a worker of its own making. */
async function runAll(): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const lane = async () => {
    const worker = new Worker(new URL("./_fuzz_worker.ts", import.meta.url), { type: "module" });
    try {
      while (next < FAMILIES.length) {
        const index = next++;
        outcomes[index] = await new Promise<Outcome>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<Outcome>) => resolve(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            reject(new Error(`fuzz worker failed on ${FAMILIES[index]!.name}: ${event.message}`));
          };
          worker.postMessage({ index, datagrams: DATAGRAMS });
        });
      }
    } finally {
      worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(WORKERS, FAMILIES.length) }, lane));
  return outcomes;
}

Deno.test(`fuzz: every detector family takes ${DATAGRAMS} hostile datagrams without a non-DecodeError`, async (t) => {
  const started = performance.now();
  const outcomes = await runAll();
  const wallMs = performance.now() - started;
  for (const [index, family] of FAMILIES.entries()) {
    await t.step(family.name, () => {
      const outcome = outcomes[index]!;
      if (outcome.error !== undefined) throw new Error(outcome.error);
      const { tally: s, ms } = outcome;
      console.log(
        `  ${family.name}: ${s.datagrams} datagrams (${s.rejected} rejected, ${s.accepted} accepted, ${s.oversized} oversized), ${s.ticks} ticks, ${s.sends} sends, most held ${s.maxHeld}; ${
          (ms / 1000).toFixed(1)
        } s, ${Math.round(s.datagrams / (ms / 1000))} datagrams/s`,
      );
      assertEquals(s.datagrams, DATAGRAMS);
      // Both paths were exercised: plenty rejected, plenty accepted (and so merged).
      assert(s.rejected > DATAGRAMS / 10, `${family.name}: only ${s.rejected} rejected`);
      assert(s.accepted > DATAGRAMS / 10, `${family.name}: only ${s.accepted} accepted`);
      assert(s.oversized > 0 || DATAGRAMS < 200_000, `${family.name}: no oversized list`);
    });
  }
  console.log(`  ${FAMILIES.length * DATAGRAMS} datagrams in ${(wallMs / 1000).toFixed(1)} s on ${WORKERS} workers`);
});

// The findings of issue 11, one by one.

const members = [1, 2, 3, 4].map((i) => loopbackId(42000 + i));

Deno.test("issue 11: a 65,496-byte list of 8,186 made-up members leaves a member able to gossip", () => {
  const madeUp = Array.from({ length: 8186 }, (_, i) => 0x0a000000 * 65536 + 1 + i);
  // Pushed and pulled at once (push-pull), so the member must also answer with its whole list.
  const list = encodeHeartbeatList(madeUp, madeUp.map(() => 7), madeUp.length, MessageKind.PushPull);
  assertEquals(list.length, 65_496);
  for (const closedGroup of [false, true]) {
    const d = createBasicGossipDetector({
      self: members[0]!,
      members,
      tGossipMs: 1000,
      tFailMs: 15_000,
      tCleanupMs: 30_000,
      rng: seededPrng(1),
      startMs: 0,
      style: "push-pull",
      closedGroup,
    });
    const step = d.receive(members[1]!, list, 10);
    // Open: admitted up to what one datagram carries; closed: not members at all.
    assertEquals(d.knownMembers().length + 1, closedGroup ? members.length : MAX_ENTRIES);
    assertEquals(step.events.filter((e) => e.kind === "joined").length, closedGroup ? 0 : MAX_ENTRIES - members.length);
    // The push-pull answer and the next gossip encode, and decode back.
    assertEquals(decodeMessage(step.sends[0]!.bytes).members.length, d.knownMembers().length + 1);
    const gossip = d.tick(d.nextDeadlineMs()).sends[0]!;
    assert(gossip.bytes.length <= 65_507);
    decodeMessage(gossip.bytes);
    // A closed member ignores a list from a sender outside the group.
    if (closedGroup) assertEquals(d.receive(madeUp[0]!, list, 20).sends.length, 0);
  }
});

Deno.test("issue 11: SWIM ignores a suspicion of itself it cannot outbid (incarnation 2^32 - 1), and caps new members", () => {
  const d = createSwimDetector({ self: members[0]!, members, rng: seededPrng(2), startMs: 0 });
  const dead = (incarnation: number) =>
    encodeSwim({
      kind: MessageKind.SwimGossip,
      seq: 0,
      target: 0,
      updates: [{ member: members[0]!, incarnation, status: SwimStatus.Dead }],
    });
  d.receive(members[1]!, dead(0xfffffffe), 1);
  assertEquals(d.incarnation, 0xffffffff, "refuted at the largest incarnation");
  d.receive(members[1]!, dead(0xffffffff), 2);
  assertEquals(d.incarnation, 0xffffffff, "not wrapped to 0");
  const ack = d.receive(members[1]!, encodeSwim({ kind: MessageKind.SwimPing, seq: 1, target: 0, updates: [] }), 3);
  assert(decodeSwim(ack.sends[0]!.bytes).updates.some((u) => u.member === members[0] && u.incarnation === 0xffffffff));
  // New members stop at MAX_PIGGYBACK (5953), however many updates name them.
  let joined = 0;
  for (let batch = 0; batch < 3; batch++) {
    const updates = Array.from({ length: 5000 }, (_, i) => ({
      member: 0x0b000000 * 65536 + 1 + batch * 5000 + i,
      incarnation: 0,
      status: SwimStatus.Alive,
    }));
    const step = d.receive(members[1]!, encodeSwim({ kind: MessageKind.SwimGossip, seq: 0, target: 0, updates }), 4);
    joined += step.events.filter((e) => e.kind === "joined").length;
  }
  assertEquals(joined + members.length, 5953);
});

Deno.test("issue 11: the neighbour detector ignores a death notice it cannot outbid (state 0xffff), and caps its list", () => {
  const d = createNeighborDetector({ self: members[0]!, members, rng: seededPrng(3), startMs: 0 });
  d.receive(members[1]!, encodeNeighborMessage(MessageKind.NeighborNotice, [members[0]!], [0xfffd]), 1);
  assertEquals(d.incarnation, 0x7fff, "refuted at the largest incarnation");
  d.receive(members[1]!, encodeNeighborMessage(MessageKind.NeighborNotice, [members[0]!], [0xffff]), 2);
  assertEquals(d.incarnation, 0x7fff, "not wrapped");
  const madeUp = Array.from({ length: MAX_ENTRIES }, (_, i) => 0x0c000000 * 65536 + 1 + i);
  const step = d.receive(
    members[1]!,
    encodeNeighborMessage(MessageKind.NeighborMembership, madeUp, madeUp.map(() => 0)),
    3,
  );
  assertEquals(step.events.filter((e) => e.kind === "joined").length, MAX_ENTRIES - members.length);
  // The membership gossip still encodes: self plus everyone held, at most MAX_ENTRIES.
  let membership: Uint8Array | undefined;
  for (let t = 4; !membership && t < 20_000; t += 50) {
    membership = d.tick(t).sends.find((x) => x.bytes[1] === MessageKind.NeighborMembership)?.bytes;
  }
  assertEquals(decodeNeighborMessage(membership!).ids.length, MAX_ENTRIES);
  assertEquals(decodeNeighborMessage(membership!).states[0], 0x7fff * 2);
});
