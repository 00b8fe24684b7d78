import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { encodeHeartbeatList } from "../lib/basic/codec.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { phi } from "../lib/model/phi_accrual.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { simulate } from "../lib/sim/simulate.ts";

const [A, B] = [loopbackId(40_001), loopbackId(40_002)];

Deno.test("phi accrual declares a member failed when phi of its silence reaches the threshold", () => {
  const d = createBasicGossipDetector({
    self: A,
    members: [A, B],
    tGossipMs: 1000,
    tFailMs: 1e9,
    tCleanupMs: 2e9,
    rng: seededPrng(1),
    startMs: 0,
    phi: { threshold: 8, minStdDevMs: 250, minSamples: 5, acceptablePauseMs: 0 },
  });
  // B's heartbeat increases every 1000 ms: mean 1000, spread at the 250 ms floor.
  for (let k = 1; k <= 10; k++) d.receive(B, encodeHeartbeatList([B], [k]), k * 1000);
  const last = 10_000;
  const expected = last + 1000 + 5.612 * 250; // z for an upper tail of 1e-8
  assertEquals(d.tick(expected - 5).events.filter((e) => e.kind === "failed").length, 0);
  const failed = d.tick(expected + 5).events.filter((e) => e.kind === "failed");
  assertEquals(failed.map((e) => e.member), [B]);
  assertAlmostEquals(phi(expected - last, 1000, 250), 8, 0.01);
});

// Note: a normal fit to gossip-relayed heartbeats is a poor model (arrivals come in bursts with
// long gaps), so phi at threshold 8 does flag live members now and then; measured and reported,
// not asserted away here. This test checks detection.
Deno.test("phi accrual in a simulated group: every live member detects a crash, sooner than a long T_fail", () => {
  const ids = Array.from({ length: 20 }, (_, i) => loopbackId(41_000 + i));
  const make = (usePhi: boolean) =>
    ids.map((self, i) =>
      createBasicGossipDetector({
        self,
        members: ids,
        tGossipMs: 1000,
        tFailMs: 30_000,
        tCleanupMs: 60_000,
        rng: seededPrng(500 + i),
        startMs: 0,
        ...(usePhi ? { phi: { threshold: 8, minStdDevMs: 1000, acceptablePauseMs: 3000 } } : {}),
      })
    );
  const crash = { member: ids[3]!, atMs: 100_000 };
  const median = (usePhi: boolean) => {
    const r = simulate({ detectors: make(usePhi), untilMs: 200_000, crashes: [crash] });
    const lat = r.events.filter((e) => e.kind === "failed" && e.member === crash.member && e.observer !== crash.member)
      .map((e) => e.atMs - crash.atMs).sort((a, b) => a - b);
    assertEquals(lat.length, 19);
    return lat[9]!;
  };
  const withPhi = median(true);
  const withTimeout = median(false);
  assert(withPhi < withTimeout, `phi ${withPhi} ms vs T_fail ${withTimeout} ms`);
});
