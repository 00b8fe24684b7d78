// Differential test of the SWIM detector: seeded groups in the simulator, with loss, crashes and
// members that join by hearing of each other, must produce exactly the sends, events and deadlines
// that the original implementation (before the O(1)/O(log n) rewrite) produced, call for call. The
// original's runs are pinned as fingerprints (SHA-256 of the call log). To compare call by call
// again, restore the original from commit ddd6d13 (tests/_swim_reference.ts) and diff the two logs
// of runCase(); the last such comparison, over these cases and 2000 random ones, found no difference.
import { assertEquals } from "@std/assert";
import type { Detector, Step } from "../lib/core/detector.ts";
import { loopbackId, type MemberId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { simulate, type SimulateResult } from "../lib/sim/simulate.ts";
import { createSwimDetector, type SwimOptions } from "../lib/swim/detector.ts";

/** One seeded run: group, options and faults. */
interface Case {
  readonly name: string;
  readonly n: number;
  readonly seed: number;
  readonly untilMs: number;
  readonly loss: number;
  readonly crashes: readonly { readonly member: number; readonly atMs: number }[];
  /** Settings shared by every member. */
  readonly options: Partial<SwimOptions>;
  /** Members with an index at or above this know only members below `partialView` at start. */
  readonly partialFrom?: number;
  readonly partialView?: number;
}

/** The seeded runs, each pinned in {@linkcode ORIGINAL}. */
export const CASES: Case[] = [
  {
    name: "swim, 10% loss, one crash",
    n: 30,
    seed: 1,
    untilMs: 240_000,
    loss: 0.1,
    crashes: [{ member: 4, atMs: 60_000 }],
    options: {},
  },
  {
    name: "lifeguard, 15% loss, two crashes",
    n: 40,
    seed: 2,
    untilMs: 240_000,
    loss: 0.15,
    crashes: [{ member: 3, atMs: 50_000 }, { member: 17, atMs: 90_000 }],
    options: { lifeguard: true },
  },
  {
    name: "lifeguard + separate gossip, 10% loss, one crash",
    n: 30,
    seed: 3,
    untilMs: 200_000,
    loss: 0.1,
    crashes: [{ member: 9, atMs: 40_000 }],
    options: { lifeguard: true, gossipIntervalMs: 200, gossipNodes: 3 },
  },
  {
    name: "swim + separate gossip, small queue budget, 20% loss, members join",
    n: 40,
    seed: 4,
    untilMs: 200_000,
    loss: 0.2,
    crashes: [{ member: 1, atMs: 70_000 }],
    options: { gossipIntervalMs: 300, gossipNodes: 2, maxPiggyback: 2, retransmitMult: 2, indirectChecks: 2 },
    partialFrom: 20,
    partialView: 6,
  },
  {
    name: "lifeguard, fixed suspicion timeout, short period, 25% loss, members join",
    n: 50,
    seed: 5,
    untilMs: 150_000,
    loss: 0.25,
    crashes: [{ member: 0, atMs: 30_000 }, { member: 33, atMs: 31_000 }],
    options: { lifeguard: true, protocolPeriodMs: 500, pingTimeoutMs: 200, suspicionTimeoutMs: 3000 },
    partialFrom: 10,
    partialView: 4,
  },
  {
    // Members 3-5 start knowing only member 0, which crashes: they see everyone dead, then hear of others.
    name: "lifeguard, one-member views, the viewed member crashes",
    n: 6,
    seed: 296,
    untilMs: 120_000,
    loss: 0.1,
    crashes: [{ member: 0, atMs: 45_751 }],
    options: { lifeguard: true, maxPiggyback: 2 },
    partialFrom: 3,
    partialView: 1,
  },
];

type Factory = (options: SwimOptions) => Detector;

/** A run's fingerprint. */
interface Golden {
  readonly calls: number;
  readonly datagrams: number;
  readonly bytes: number;
  readonly lost: number;
  readonly events: {
    readonly suspected: number;
    readonly failed: number;
    readonly trusted: number;
    readonly joined: number;
  };
  readonly sha256: string;
}

/**
 * What the original implementation (lib/swim/detector.ts at commit 8884289) did in each case: the
 * number of calls, the simulator's totals and event counts, and the SHA-256 of the call log.
 */
const ORIGINAL: Record<string, Golden> = {
  "swim, 10% loss, one crash": {
    calls: 33025,
    datagrams: 27304,
    bytes: 721350,
    lost: 2909,
    events: { suspected: 1405, failed: 59, trusted: 1346, joined: 0 },
    sha256: "03d2a976ab105621b057f15212f8c776ad259528da600404c2c3ca28e9403df4",
  },
  "lifeguard, 15% loss, two crashes": {
    calls: 45721,
    datagrams: 40392,
    bytes: 2080793,
    lost: 6242,
    events: { suspected: 8238, failed: 171, trusted: 8064, joined: 0 },
    sha256: "0d6435ea94106b8d719adbe1403bfcf52c8ea2d6f4b66f4db696b7164abb4e98",
  },
  "lifeguard + separate gossip, 10% loss, one crash": {
    calls: 71755,
    datagrams: 39547,
    bytes: 973998,
    lost: 4743,
    events: { suspected: 925, failed: 47, trusted: 865, joined: 0 },
    sha256: "4f8b47fcfa8b1ec56748afd621f30df67983d5340115dabd60568423c4d36a3e",
  },
  "swim + separate gossip, small queue budget, 20% loss, members join": {
    calls: 92860,
    datagrams: 67867,
    bytes: 2307273,
    lost: 13734,
    events: { suspected: 9094, failed: 2860, trusted: 8522, joined: 654 },
    sha256: "0641ad833ec60f3ac025e8dee4e29de3f00e00e9514783af93d8fb9b59b87b2f",
  },
  "lifeguard, fixed suspicion timeout, short period, 25% loss, members join": {
    calls: 62961,
    datagrams: 60424,
    bytes: 4070480,
    lost: 15507,
    events: { suspected: 22058, failed: 8054, trusted: 22197, joined: 1749 },
    sha256: "0d79231913751020a159d1cc97b0935c9b02c741b9bc9ea84dc7395cc8c00f87",
  },
  "lifeguard, one-member views, the viewed member crashes": {
    calls: 1782,
    datagrams: 1351,
    bytes: 32062,
    lost: 171,
    events: { suspected: 80, failed: 14, trusted: 66, joined: 8 },
    sha256: "920ae2d14ae600f1ee611b18068f48836cc760d44a6fc8bbc7c64de7bcfc0827",
  },
};

/** Every call's outcome, in order: who, when, what was sent to whom, what was concluded. */
function recorded(d: Detector, log: string[]): Detector {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const note = (what: string, now: number, step: Step) => {
    const sends = step.sends.map((s) => `${s.to}<${hex(s.bytes)}`).join(",");
    const events = step.events.map((e) => `${e.kind}:${e.member}@${e.atMs}`).join(",");
    log.push(`${d.id} ${what}@${now} [${sends}] [${events}] next=${d.nextDeadlineMs()}`);
    return step;
  };
  return {
    id: d.id,
    tick: (now) => note("tick", now, d.tick(now)),
    receive: (from, bytes, now) => note(`recv<${from}`, now, d.receive(from, bytes, now)),
    nextDeadlineMs: () => d.nextDeadlineMs(),
  };
}

/** Runs one case with one implementation; returns the call log and the simulator's result. */
export function runCase(c: Case, factory: Factory): { log: string[]; result: SimulateResult } {
  const ids: MemberId[] = Array.from({ length: c.n }, (_, i) => loopbackId(40_000 + i));
  const log: string[] = [];
  const detectors = ids.map((self, i) => {
    const members = c.partialFrom !== undefined && i >= c.partialFrom ? [...ids.slice(0, c.partialView), self] : ids;
    return recorded(factory({ ...c.options, self, members, rng: seededPrng(c.seed * 1000 + i), startMs: 0 }), log);
  });
  const result = simulate({
    detectors,
    untilMs: c.untilMs,
    loss: c.loss,
    rng: seededPrng(c.seed),
    crashes: c.crashes.map((x) => ({ member: ids[x.member]!, atMs: x.atMs })),
  });
  return { log, result };
}

/** The fingerprint of a run. */
async function fingerprint(run: { log: string[]; result: SimulateResult }): Promise<Golden> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(run.log.join("\n")));
  const count = (kind: string) => run.result.events.filter((e) => e.kind === kind).length;
  return {
    calls: run.log.length,
    datagrams: run.result.datagrams,
    bytes: run.result.bytes,
    lost: run.result.lost,
    events: {
      suspected: count("suspected"),
      failed: count("failed"),
      trusted: count("trusted"),
      joined: count("joined"),
    },
    sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
  };
}

for (const c of CASES) {
  Deno.test(`createSwimDetector() sends and concludes what the original implementation did: ${c.name}`, async () => {
    const run = runCase(c, createSwimDetector);
    const kinds = new Set(run.result.events.map((e) => e.kind));
    assertEquals(kinds.has("suspected") && kinds.has("failed"), true, "the case exercises suspicion and failure");
    assertEquals(await fingerprint(run), ORIGINAL[c.name]);
  });
}
