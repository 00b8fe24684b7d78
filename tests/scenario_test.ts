import { assertEquals, assertThrows } from "@std/assert";
import type { NeighborSettings } from "../lib/neighbor/options.ts";
import { resolveScenario, ScenarioError } from "../harness/scenario/mod.ts";
import { SCENARIOS } from "../scenarios/mod.ts";
import { broadcastExponentFor } from "../lib/model/catastrophe.ts";

Deno.test("resolveScenario() accepts every built-in scenario and fills defaults", () => {
  for (const [name, input] of Object.entries(SCENARIOS)) {
    const s = resolveScenario(input);
    assertEquals(s.name, name);
  }
  const demo = resolveScenario(SCENARIOS.demo);
  assertEquals(demo.gossip.tGossipMs, 1600);
  assertEquals(demo.crashes, [{ member: 1, atMs: 16_000 }]);
  assertEquals(demo.durationMs, 30 * 1600 + demo.gossip.tFailMs);
});

Deno.test("resolveScenario() rejects bad input with one error naming the field", () => {
  const base = { name: "t", duration: 10_000 };
  const cases: [Record<string, unknown>, string, string][] = [
    [{ ...base, memberz: 3 }, "memberz", "unknown field"],
    [{ ...base, members: 1 }, "members", ">= 2"],
    [{ ...base, members: 2.5 }, "members", "int"],
    [{ ...base, loss: 1.5 }, "loss", "<= 1"],
    [{ ...base, loss: -0.1 }, "loss", ">= 0"],
    [{ ...base, budgetBytesPerSec: 4 }, "budgetBytesPerSec", ">= 8"],
    [{ ...base, duration: -1 }, "duration", ""],
    [{ ...base, members: 5, crashes: [{ member: 5, at: 1 }] }, "crashes[0].member", "[0, 4]"],
    [{ ...base, crashes: [{ member: 1, at: 20_000 }] }, "crashes[0].at", "before the end"],
    [{ ...base, crashes: [{ member: 1, at: 1, how: "x" }] }, "crashes[0].how", "unknown field"],
    [{ ...base, members: 3, crashes: [{ member: 1, at: 1 }, { member: 2, at: 2 }] }, "crashes", "at most"],
    [{ ...base, basePort: 65530, members: 10 }, "basePort", "65535"],
    [{ ...base, members: 5, failed: 4 }, "failed", "[0, 3]"],
    [{ ...base, members: 5, failed: 1, crashes: [{ member: 4, at: 1 }] }, "crashes[0].member", "failed from the start"],
    [{ ...base, measureEpisodes: true, crashes: [{ member: 1, at: 1 }] }, "measureEpisodes", "failed from the start"],
    [{ ...base, measureEpisodes: true }, "duration", "episode horizon"],
    [{ ...base, swim: { protocolPeriodMs: 500 } }, "swim", "detector"],
    [{ ...base, detector: "swim", swim: { protocolPeriodMs: 500, pingTimeoutMs: 600 } }, "swim.pingTimeoutMs", "below"],
    [{ ...base, detector: "gossip-2" }, "detector", ""],
    [{ ...base, phi: { threshold: 8 } }, "phi", "detector"],
    [{ ...base, detector: "phi", phi: { window: 4, minSamples: 5 } }, "phi.minSamples", "window"],
    [{ ...base, detector: "swim", dissemination: "pull" }, "dissemination", 'not of detector "swim"'],
    [{ ...base, detector: "neighbor", catastrophe: {} }, "catastrophe", 'not of detector "neighbor"'],
    [{ ...base, dissemination: "flood" }, "dissemination", ""],
    [{ ...base, neighbor: { quorum: 2 } }, "neighbor", 'need detector: "neighbor"'],
    [{ ...base, detector: "neighbor", neighbor: { quorum: 5 } }, "neighbor.quorum", 'detector "neighbor"'],
    [
      { ...base, detector: "neighbor", neighbor: { pingIntervalMs: 100, pingTimeoutMs: 200 } },
      "neighbor.pingTimeoutMs",
      'detector "neighbor"',
    ],
    [{ ...base, detector: "neighbor", neighbor: { quorom: 2 } }, "neighbor.quorom", "unknown field"],
    [{ ...base, members: 4, topology: { domains: 2, subnetsPerDomain: 3 } }, "topology.subnetsPerDomain", "6 subnets"],
    [{ ...base, catastrophe: { meanIntervalSeconds: 30 } }, "catastrophe.meanIntervalSeconds", "< 20"],
    [{ ...base, catastrophe: { reportAfter: { tFail: 3 } } }, "catastrophe.reportAfter", "T_cleanup"],
  ];
  for (const [input, field, text] of cases) {
    const e = assertThrows(() => resolveScenario(input), ScenarioError);
    assertEquals(e.field, field, JSON.stringify(input));
    if (text) assertEquals(e.message.includes(text), true, `${e.message} should mention ${text}`);
  }
});

Deno.test("resolveScenario() splits members into consecutive subnets and domains and picks a for a 10 s broadcast mean", () => {
  const sc = resolveScenario({
    name: "t",
    duration: 10_000,
    members: 12,
    topology: { domains: 2, subnetsPerDomain: 2 },
    catastrophe: {},
  });
  assertEquals(sc.topology!.levels.subnet, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  assertEquals(sc.topology!.levels.domain, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  // a is chosen for the broadcast domain, one subnet of 3.
  assertEquals(sc.catastrophe!.exponent, broadcastExponentFor(3, 10));
  assertEquals(sc.catastrophe!.reportAfterMs, sc.gossip.tFailMs);
  assertEquals(sc.silenceMs, sc.gossip.tFailMs);
  const nb = resolveScenario({ name: "t", duration: 10_000, detector: "neighbor" });
  assertEquals((nb.settings as NeighborSettings).quorum, 2);
  assertEquals(nb.periodMs, 1000);
});
