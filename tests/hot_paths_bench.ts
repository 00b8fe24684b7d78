// Micro-benchmarks of the hot paths (`deno task bench`): the codec on a
// 1000-entry list, the detector's merge of one, the proxy's per-datagram
// decision, and the model's full curve at n = 1000.
import { createBasicGossipDetector } from "../lib/basic/detector.ts";
import { decodeMessage, encodeHeartbeatList } from "../lib/basic/codec.ts";
import { loopbackId } from "../lib/core/member_id.ts";
import { mistakeCurve } from "../lib/model/gossip_markov.ts";
import { seededPrng } from "../lib/core/prng.ts";

const N = 1000;
const ids = Array.from({ length: N }, (_, i) => loopbackId(10_000 + i));
const counters = ids.map((_, i) => i * 7);
const encoded = encodeHeartbeatList(ids, counters);

Deno.bench("encodeHeartbeatList() 1000 entries", { group: "codec" }, () => {
  encodeHeartbeatList(ids, counters);
});

Deno.bench("decodeMessage() 1000 entries", { group: "codec", baseline: true }, () => {
  decodeMessage(encoded);
});

Deno.bench("BasicGossipDetector.receive() merges a 1000-entry list", (b) => {
  const d = createBasicGossipDetector({
    self: ids[0]!,
    members: ids,
    tGossipMs: 32_000,
    tFailMs: 1e9,
    tCleanupMs: 2e9,
    rng: seededPrng(1),
    startMs: 0,
  });
  const lists = Array.from({ length: 64 }, (_, k) => encodeHeartbeatList(ids, counters.map((c) => c + k + 1)));
  b.start();
  for (let k = 0; k < 64; k++) d.receive(ids[1]!, lists[k]!, k);
  b.end();
});

Deno.bench("proxy relay decision (black hole + seeded Bernoulli loss), 1000 datagrams", () => {
  const rng = seededPrng(3);
  const blackholed = new Uint8Array(N);
  blackholed[5] = 1;
  let dropped = 0;
  for (let i = 0; i < 1000; i++) {
    const from = i % N;
    const to = (i * 7) % N;
    if (blackholed[from] === 1 || blackholed[to] === 1 || rng() < 0.1) dropped++;
  }
  if (dropped < 0) throw new Error("unreachable");
});

Deno.bench("mistakeCurve() n = 1000, 200 points", () => {
  mistakeCurve({ members: 1000, failed: 1 }, 32, Array.from({ length: 200 }, (_, i) => i * 8));
});
