import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { EpisodeTracker } from "../harness/metrics/episodes.ts";
import { validate } from "../harness/studies/validation.ts";
import { composeClaims } from "../harness/studies/claims.ts";
import { renderClaimsMarkdown } from "../harness/studies/claims_markdown.ts";
import { Histogram } from "../lib/core/histogram.ts";

Deno.test("EpisodeTracker times learns against origins, including learns that arrive before their origin", () => {
  const t = new EpisodeTracker({ horizonMs: 1000, cutoffMs: 10_000 });
  t.origin(0, 1, 100);
  t.learn(0, 0, 1, 150); // observer A learns h=1 after 50 ms
  t.learn(0, 0, 2, 400); // observer B jumps to h=2: learns h=1 and h=2 at 400
  t.learn(0, 1, 2, 450); // observer A learns h=2 before h=2's origin is known
  t.origin(0, 2, 300);
  assertEquals(t.drain(1099), [], "nothing finished before origin + horizon");
  const first = t.drain(1100);
  assertEquals(first, [{ source: 0, counter: 1, originMs: 100, learned: 2, maxPropMs: 300 }]);
  const second = t.drain(1300);
  assertEquals(second, [{ source: 0, counter: 2, originMs: 300, learned: 2, maxPropMs: 150 }]);
  assertEquals(t.propagation.count, 4);
});

Deno.test("EpisodeTracker ignores joins, learns after the horizon, and origins after the cutoff", () => {
  const t = new EpisodeTracker({ horizonMs: 100, cutoffMs: 500 });
  t.origin(1, 1, 0);
  t.learn(1, -1, 1, 10); // a join, not a propagation
  t.learn(1, 0, 1, 150); // too late: after the window
  t.origin(1, 2, 600); // after the cutoff: untracked
  t.learn(1, 1, 2, 610);
  assertEquals(t.drain(10_000), [{ source: 1, counter: 1, originMs: 0, learned: 0, maxPropMs: -1 }]);
  assertEquals(t.propagation.count, 0);
});

Deno.test("validate() compares measured episode misses with the chain and gives verdicts only for faithful runs", () => {
  const observers = 9;
  // 1000 episodes: 900 reach everyone in 2 s, 100 in 6 s.
  const episodes = Array.from({ length: 1000 }, (_, i) => ({
    source: i % 10,
    counter: i,
    originMs: i,
    learned: observers,
    maxPropMs: i < 900 ? 2000 : 6000,
  }));
  const propagation = new Histogram();
  for (let i = 0; i < 1000 * observers; i++) propagation.record(500);
  const input = {
    model: { members: 10, failed: 0, loss: 0 },
    tGossipSeconds: 0.32,
    tFailSeconds: 5.312,
    horizonSeconds: 8,
    episodes,
    expectedObservers: observers,
    propagation: propagation.toJSON(),
    faithful: true,
  };
  const v = validate(input);
  assert(v.rows.length > 5);
  for (const r of v.rows) {
    const expected = r.seconds * 1000 < 2000 ? 1000 : r.seconds * 1000 < 6000 ? 100 : 0;
    assertEquals(r.misses, expected, `T=${r.seconds}`);
    assert(r.ci95[0] <= r.measuredPerEpisode && r.measuredPerEpisode <= r.ci95[1]);
    if (r.modelPerEpisode < r.ci95[0]) assertEquals(r.verdict, "model optimistic");
    else if (r.modelPerEpisode > r.ci95[1]) assertEquals(r.verdict, "model pessimistic");
    else assertEquals(r.verdict, "consistent");
  }
  assertAlmostEquals(v.infection.at(-1)!.measured, 1);
  const unfaithful = validate({ ...input, faithful: false });
  assert(unfaithful.rows.every((r) => r.verdict === "inconclusive"));
});

Deno.test("composeClaims() says 'not measured' for every claim it has no runs for, and renders Markdown", () => {
  const claims = composeClaims(new Map(), new Map());
  assertEquals(claims.map((c) => c.id), [
    "detection-n-log-n",
    "loss-10-percent",
    "half-failed",
    "independent-of-n",
    "log-1585-rounds",
    "loss-50-doubles",
    "halfway-growth",
    "pull-second-half",
    "appendix-a",
  ]);
  assert(claims.every((c) => c.verdict === "not measured"));
  const md = renderClaimsMarkdown({
    schemaVersion: 1,
    startedAt: "now",
    wallSeconds: 0,
    settings: { speedup: 10, scale: 1, seed: 1 },
    claims,
  });
  assert(md.includes("| claim | model | measured | verdict |"));
  assert(md.includes("not measured"));
});

Deno.test("composeClaims() judges pull's second half from the push and pull runs' infection curves", () => {
  const run = (half: number, p99: number, faithful = true) => ({
    infection: { halfPeriods: half, p99Periods: p99, allPeriods: p99, model: null, curve: [] },
    faithful,
  });
  const pick = (styles: Map<string, ReturnType<typeof run>>) =>
    composeClaims(new Map(), new Map(), styles).find((c) => c.id === "pull-second-half")!;
  assertEquals(pick(new Map([["push-n200", run(4, 9)], ["pull-n200", run(5, 8)]])).verdict, "holds");
  assertEquals(pick(new Map([["push-n200", run(4, 9)], ["pull-n200", run(4, 10)]])).verdict, "does not hold");
  assertEquals(pick(new Map([["push-n200", run(4, 9)], ["pull-n200", run(5, 8, false)]])).verdict, "inconclusive");
  assertEquals(pick(new Map([["push-n200", run(4, 9)]])).verdict, "not measured");
});
