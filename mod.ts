/**
 * gossip-harness: real gossip failure detectors on loopback UDP, through a
 * fault-injecting proxy, measured end to end.
 *
 * The pure core (`lib/`) takes time and bytes and returns sends and events;
 * the harness (`harness/`) hosts members on real sockets, runs the proxy in
 * its own process and measures what happened on the wire.
 *
 * @example Run a scenario from another Deno program
 * ```ts
 * import { resolveScenario, runScenario } from "./mod.ts";
 * const scenario = resolveScenario({ name: "mine", members: 20, duration: { tFail: 2 }, speedup: 4 });
 * const result = await runScenario({ scenario, outDir: "runs/mine" });
 * console.log(result.crashes, result.mistakes.count, result.bandwidth.meanBytesPerSec);
 * ```
 *
 * @example Drive a detector without any I/O
 * ```ts
 * import { createBasicGossipDetector, deriveGossipConfig, seededPrng } from "./mod.ts";
 * const cfg = deriveGossipConfig({ members: 50 }); // T_gossip 1.6 s, T_fail 34.1 s
 * const d = createBasicGossipDetector({ self: 1, members: [1, 2], ...cfg, rng: seededPrng(1), startMs: 0 });
 * const { sends } = d.tick(d.nextDeadlineMs());
 * ```
 *
 * @module
 */

// Pure core
export * from "./lib/member_id.ts";
export * from "./lib/prng.ts";
export * from "./lib/detector.ts";
export * from "./lib/codec.ts";
export * from "./lib/config.ts";
export * from "./lib/basic_gossip.ts";
export * from "./lib/model/gossip_markov.ts";
export * from "./lib/histogram.ts";
export * from "./lib/stats.ts";
export * from "./lib/simulate.ts";

// Harness
export * from "./harness/clock.ts";
export * from "./harness/transport.ts";
export * from "./harness/udp_transport.ts";
export * from "./harness/scheduler.ts";
export * from "./harness/member_host.ts";
export * from "./harness/proxy.ts";
export * from "./harness/proxy_process.ts";
export * from "./harness/shard_pool.ts";
export * from "./harness/scenario.ts";
export * from "./harness/metrics.ts";
export * from "./harness/noise.ts";
export * from "./harness/results.ts";
export * from "./harness/run.ts";
export * from "./harness/report.ts";
