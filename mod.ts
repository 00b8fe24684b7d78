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
export * from "./lib/core/member_id.ts";
export * from "./lib/core/prng.ts";
export * from "./lib/core/detector.ts";
export * from "./lib/core/wire.ts";
export * from "./lib/core/errors.ts";
export * from "./lib/basic/codec.ts";
export * from "./lib/basic/config.ts";
export * from "./lib/basic/detector.ts";
export * from "./lib/swim/detector.ts";
export * from "./lib/swim/codec.ts";
export * from "./lib/neighbor/detector.ts";
export * from "./lib/model/gossip_markov.ts";
export * from "./lib/model/appendix_a.ts";
export * from "./lib/model/epidemic.ts";
export * from "./lib/model/swim.ts";
export * from "./lib/model/lifeguard.ts";
export * from "./lib/model/phi_accrual.ts";
export * from "./lib/model/catastrophe.ts";
export * from "./lib/core/histogram.ts";
export * from "./lib/core/stats.ts";
export * from "./lib/sim/simulate.ts";

// Harness: transports, proxy, runner
export { type PacketHandler, type Transport } from "./harness/net/transport.ts";
export { bindUdp, boundPort, PortInUseError, UdpTransport } from "./harness/net/udp_transport.ts";
export { type LinkCounters, type ProxyCounters, type ProxyOptions, UdpProxy } from "./harness/proxy/udp_proxy.ts";
export * from "./harness/faults/impairments/impairment.ts";
export * from "./harness/faults/impairments/registry.ts";
export * from "./harness/faults/impairments/rule.ts";
export * from "./harness/faults/impairments/loss.ts";
export * from "./harness/faults/impairments/gilbert_elliott.ts";
export * from "./harness/faults/impairments/delay.ts";
export * from "./harness/faults/impairments/duplicate.ts";
export * from "./harness/faults/impairments/corrupt.ts";
export * from "./harness/faults/impairments/reorder.ts";
export * from "./harness/faults/impairments/rate.ts";
export * from "./harness/faults/partitions.ts";
export * from "./harness/faults/schedule.ts";
export type { Hosting } from "./harness/hosting/shard_pool.ts";
export {
  DETECTOR_NAMES,
  type DetectorName,
  type MemberLevels,
  type NeighborSettings,
  type SwimSettings,
} from "./harness/hosting/shard_protocol.ts";
export { ProxyProcess } from "./harness/proxy/proxy_process.ts";
export {
  type CrashSpec,
  type DurationSpec,
  type FaultInput,
  resolveScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
} from "./harness/scenario/resolve.ts";
export { RunFailedError, type RunOptions, type RunProgress, runScenario } from "./harness/run/run.ts";
export type { RunResult } from "./harness/run/result.ts";
export type {
  Bandwidth,
  BroadcastReport,
  CrashDetection,
  DownInterval,
  LevelBandwidth,
  Mistakes,
  Noise,
  NoiseInterval,
  PartitionInterval,
  ProxyReport,
  Remerge,
  Spread,
} from "./harness/metrics/metrics.ts";
export type { MachineFacts, ProcessUsage } from "./harness/os/readings.ts";
export { renderSummary, renderValidation } from "./harness/report/summary.ts";
export type { EpisodeSummary } from "./harness/run/result.ts";
export { type EpisodeRecord, EpisodeTracker, type EpisodeTrackerOptions } from "./harness/metrics/episodes.ts";
export {
  type InfectionPoint,
  type RoundsTo,
  validate,
  type ValidateInput,
  type Validation,
  type ValidationRow,
  type Verdict,
  VERDICTS,
} from "./harness/studies/validation.ts";
export {
  runValidation,
  type ValidationFile,
  type ValidationOptions,
  validationScenario,
} from "./harness/studies/validate_run.ts";
export {
  type Claim,
  CLAIM_VERDICTS,
  type ClaimsOptions,
  type ClaimsReport,
  type ClaimVerdict,
  composeClaims,
  renderClaimsMarkdown,
  runClaims,
  type StyleInfection,
} from "./harness/studies/claims.ts";
export {
  type Baseline,
  BASELINE_DIR,
  type CaseCheck,
  type CaseFigures,
  checkCase,
  checkSuite,
  figuresOf,
  loadBaseline,
  machineClass,
  runSuite,
  saveBaseline,
  type SuiteOptions,
  type SuiteResult,
} from "./harness/studies/bench.ts";
export { BENCH_SUITE, type BenchCase } from "./scenarios/bench_suite.ts";
export { type Chart, type Report, runReport, suiteReport, writeReport } from "./harness/report/html_report.ts";
export {
  applyVariant,
  BROADCAST_VARIANTS,
  COMPARABLE,
  type Comparable,
  type ComparisonOptions,
  type ComparisonRow,
  DETECTOR_VARIANTS,
  DISSEMINATION_VARIANTS,
  type InfectionSummary,
  runComparison,
} from "./harness/studies/compare.ts";
export { type FastestFaithful, findFastestFaithful, type SpeedupProbe } from "./harness/studies/fastest.ts";
export {
  answerModel,
  MODEL_METHODS,
  type ModelAnswer,
  modelCurve,
  type ModelCurvePoint,
  type ModelMethod,
  type ModelQuery,
} from "./harness/studies/model_table.ts";
