// One conformance suite, run against every detector, in the simulator and on
// real UDP (through the proxy): it detects a crash, does not flag a live
// member without faults, survives malformed input, and stays within the
// bandwidth it declares. A skip names its reason.
import { assert, assertEquals } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { heartbeatListBytes } from "../lib/basic/codec.ts";
import { DecodeError } from "../lib/core/wire.ts";
import type { Detector } from "../lib/core/detector.ts";
import { loopbackId, type MemberId } from "../lib/core/member_id.ts";
import { type Prng, seededPrng } from "../lib/core/prng.ts";
import { simulate } from "../lib/sim/simulate.ts";
import { createSwimDetector } from "../lib/swim/detector.ts";
import { createNeighborDetector } from "../lib/neighbor/detector.ts";
import { neighborMessageBytes } from "../lib/neighbor/codec.ts";
import type { DisseminationStyle } from "../lib/basic/options.ts";
import { swimMessageBytes } from "../lib/swim/codec.ts";
import { runScenario } from "../harness/run/run.ts";
import { resolveScenario, type ScenarioInput } from "../harness/scenario/mod.ts";

interface Subject {
  readonly name: string;
  make(self: MemberId, members: readonly MemberId[], rng: Prng): Detector;
  /** Longest silence before every live member should have declared a crash (ms). */
  readonly detectWithinMs: number;
  /** Declared upper bound on bytes sent per member per second, for n members. */
  declaredBytesPerSec(n: number): number;
  /** Reason the no-false-positive case is skipped, if it is. */
  readonly quietSkip?: string;
  /** The same detector in a scenario (real UDP). */
  readonly scenario: Partial<ScenarioInput>;
}

const PERIOD = 1000;

/** The basic detector with T_fail 15 s, in one dissemination style. */
function basicGossip(style: DisseminationStyle): Subject["make"] {
  return (self, members, rng) =>
    createBasicGossipDetector({
      self,
      members,
      tGossipMs: PERIOD,
      tFailMs: 15_000,
      tCleanupMs: 30_000,
      rng,
      startMs: 0,
      style,
    });
}

const SUBJECTS: Subject[] = [
  {
    name: "basic gossip",
    make: basicGossip("push"),
    detectWithinMs: 15_000 + 15 * PERIOD,
    declaredBytesPerSec: (n) => heartbeatListBytes(n) / (PERIOD / 1000),
    scenario: {},
  },
  {
    name: "swim",
    make: (self, members, rng) => createSwimDetector({ self, members, protocolPeriodMs: PERIOD, rng, startMs: 0 }),
    detectWithinMs: 4 * Math.log10(20) * PERIOD + 20 * PERIOD,
    // Per period: one ping, about one ack to others' pings, k ping-reqs when a probe fails; 8 updates each.
    declaredBytesPerSec: () => (6 * swimMessageBytes(8)) / (PERIOD / 1000),
    scenario: { detector: "swim", swim: { protocolPeriodMs: 500, pingTimeoutMs: 200 } },
  },
  {
    name: "phi accrual",
    make: (self, members, rng) =>
      createBasicGossipDetector({
        self,
        members,
        tGossipMs: PERIOD,
        tFailMs: 60_000,
        tCleanupMs: 120_000,
        rng,
        startMs: 0,
        phi: { threshold: 8, minStdDevMs: PERIOD, acceptablePauseMs: 3 * PERIOD },
      }),
    detectWithinMs: 40 * PERIOD,
    declaredBytesPerSec: (n) => heartbeatListBytes(n) / (PERIOD / 1000),
    quietSkip:
      "a normal fit to gossip-relayed heartbeat arrivals flags live members now and then (measured; see README)",
    scenario: { detector: "phi" },
  },
];

// The basic detector's other dissemination styles, each bounded by the lists it may send per period.
const STYLE_LISTS: Record<Exclude<DisseminationStyle, "push">, number> = { pull: 1, "push-pull": 2, digest: 3 };
for (const [style, lists] of Object.entries(STYLE_LISTS) as [Exclude<DisseminationStyle, "push">, number][]) {
  SUBJECTS.push({
    name: `basic gossip (${style})`,
    make: basicGossip(style),
    detectWithinMs: 15_000 + 15 * PERIOD,
    // Own request or list, plus answers to about one peer's per period (a pull request and a digest ack's count are extra).
    declaredBytesPerSec: (n) => (lists * heartbeatListBytes(n) + 16) / (PERIOD / 1000),
    scenario: { dissemination: style },
  });
}
SUBJECTS.push({
  name: "neighbour pings (the lecture's)",
  make: (self, members, rng) =>
    createNeighborDetector({
      self,
      members,
      pingIntervalMs: PERIOD,
      membershipIntervalMs: 5 * PERIOD,
      rng,
      startMs: 0,
    }),
  // Three missed pings, the quorum's accusations, then notices every 100 ms.
  detectWithinMs: 10 * PERIOD,
  // Four pings and about four acks per ping period, and the membership list every 5 periods.
  declaredBytesPerSec: (n) =>
    (8 * neighborMessageBytes(0)) / (PERIOD / 1000) + neighborMessageBytes(n) / (5 * PERIOD / 1000),
  scenario: { detector: "neighbor", neighbor: { pingIntervalMs: 500, pingTimeoutMs: 200 } },
});

const N = 20;
const ids = Array.from({ length: N }, (_, i) => loopbackId(50_000 + i));

for (const subject of SUBJECTS) {
  const group = (seed: number) => ids.map((self, i) => subject.make(self, ids, seededPrng(seed * 97 + i)));

  Deno.test(`${subject.name} (simulated): every live member detects a crash`, () => {
    const crashAt = 60_000;
    const r = simulate({
      detectors: group(1),
      untilMs: crashAt + subject.detectWithinMs,
      crashes: [{ member: ids[5]!, atMs: crashAt }],
    });
    const detectors = new Set(
      r.events.filter((e) => e.kind === "failed" && e.member === ids[5]).map((e) => e.observer),
    );
    detectors.delete(ids[5]!);
    assertEquals(detectors.size, N - 1);
  });

  Deno.test({
    name: `${subject.name} (simulated): no live member is declared failed without faults`,
    ignore: subject.quietSkip !== undefined,
    fn() {
      const r = simulate({ detectors: group(2), untilMs: 300_000 });
      assertEquals(r.events.filter((e) => e.kind === "failed").length, 0);
    },
  });

  Deno.test(`${subject.name}: malformed datagrams are rejected with DecodeError and change nothing`, () => {
    const [d] = group(3);
    const before = d!.nextDeadlineMs()!;
    const rng = seededPrng(9);
    for (let k = 0; k < 500; k++) {
      const bytes = Uint8Array.from({ length: Math.floor(rng() * 80) }, () => Math.floor(rng() * 256));
      if (k % 2 === 0 && bytes.length > 2) [bytes[0], bytes[1]] = [1, 1 + (k % 4)];
      try {
        d!.receive(ids[1]!, bytes, 10);
        assert(false, "malformed bytes were accepted");
      } catch (error) {
        assert(error instanceof DecodeError, String(error));
      }
    }
    assertEquals(d!.nextDeadlineMs(), before);
    assert(d!.tick(before).sends.length > 0, "it keeps working");
  });

  Deno.test(`${subject.name} (simulated): stays within the bandwidth it declares`, () => {
    const r = simulate({ detectors: group(4), untilMs: 200_000 });
    const perMember = r.bytes / N / 200;
    assert(perMember <= subject.declaredBytesPerSec(N), `${perMember.toFixed(1)} > ${subject.declaredBytesPerSec(N)}`);
  });

  Deno.test(`${subject.name} (real UDP, through the proxy): detects a crash, no mistakes, counts reconcile`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const scenario = resolveScenario({
        name: `conformance-${subject.name}`,
        members: 10,
        pMistake: 1e-6,
        duration: 40_000,
        speedup: 4,
        seed: 21,
        crashes: [{ member: 2, at: 8000 }],
        ...subject.scenario,
      });
      const r = await runScenario({ scenario, outDir: dir });
      const d = r.crashes[0]!.detection;
      assertEquals(d.detected, d.observers);
      if (!subject.quietSkip) assertEquals(r.mistakes.count, 0);
      assert(r.proxy!.balances && r.proxy!.sentReconciles && r.proxy!.receivedReconciles);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
