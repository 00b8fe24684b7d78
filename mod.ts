/**
 * gossip-harness: real gossip failure detectors on loopback UDP, through a
 * fault-injecting proxy, measured end to end.
 *
 * The pure core (`lib/`, also `./lib` as a subpath export) takes time and
 * bytes and returns sends and events; the harness (`harness/`) hosts
 * members on real sockets, runs the proxy in its own process, journals
 * everything that happened and computes every figure from the journal.
 * See ARCHITECTURE.md for the flow and where each concern lives.
 *
 * @example Run a scenario from another Deno program
 * ```ts ignore
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

// The sans-IO seam and its detectors.
export type { Detector, DetectorEvent, DetectorEventKind, Send, Step } from "./lib/core/detector.ts";
export { formatMemberId, loopbackId, type MemberId, memberPort } from "./lib/core/member_id.ts";
export { type Prng, seededPrng } from "./lib/core/prng.ts";
export { ConfigError } from "./lib/core/errors.ts";
export { DecodeError } from "./lib/core/wire.ts";
export type { MemberContext, MemberKind } from "./lib/core/kind.ts";
export { deriveGossipConfig, type GossipConfig, type GossipConfigInput } from "./lib/basic/config.ts";
export { type BasicGossipDetector, createBasicGossipDetector } from "./lib/basic/detector.ts";
export { createSwimDetector, type SwimDetector, type SwimOptions } from "./lib/swim/detector.ts";
export { createNeighborDetector, type NeighborDetector } from "./lib/neighbor/detector.ts";
export { simulate } from "./lib/sim/simulate.ts";

// Scenarios, runs and their results.
export { MEMBER_KINDS } from "./harness/members/registry.ts";
export { resolveScenario, type Scenario, ScenarioError, type ScenarioInput } from "./harness/scenario/mod.ts";
export { RunFailedError, type RunOptions, type RunProgress, runScenario } from "./harness/run/run.ts";
export type { RunResult } from "./harness/run/result.ts";
export type { ProcessSummary, ViewReconciliation } from "./harness/metrics/external.ts";
export { type Analysis, analyzeJournal } from "./harness/journal/analyze.ts";
export { renderSummary } from "./harness/report/summary.ts";

// Seams a program can drive directly.
export type { Fleet } from "./harness/hosting/fleet.ts";
export type { FaultInjector } from "./harness/proxy/injector.ts";
export { type ProxyOptions, type RelaySocketKind, UdpProxy } from "./harness/proxy/udp_proxy.ts";
export { ProxyProcess } from "./harness/proxy/proxy_process.ts";

// Types the API above refers to.
export type { DecodeErrorReason } from "./lib/core/wire.ts";
export type { KindContext, SettingsSchema } from "./lib/core/kind.ts";
export { DETECTOR_EVENT_KINDS } from "./lib/core/detector.ts";
export type { BasicGossipOptions } from "./lib/basic/options.ts";
export type { SwimProtocolOptions } from "./lib/swim/options.ts";
export type { NeighborOptions } from "./lib/neighbor/detector.ts";
export type { SimulateOptions, SimulateResult } from "./lib/sim/simulate.ts";
export type { MachineFacts, ProcessUsage } from "./harness/os/readings.ts";
export type { Cut } from "./harness/faults/partitions.ts";
export type { ProxyCounters } from "./harness/proxy/books.ts";
export type { RuleSpec } from "./harness/faults/impairments/rule.ts";
export type { MemberLevels } from "./harness/hosting/shard_protocol.ts";
export type { Hosting } from "./harness/hosting/shard_fleet.ts";
export type { Action, Fault, PartitionSpec } from "./harness/faults/schedule.ts";
export type { DetectorName } from "./harness/members/registry.ts";
export type { Remerge } from "./harness/metrics/remerge.ts";
export type { ProxyReport } from "./harness/metrics/proxy_report.ts";
export type { Noise } from "./harness/metrics/noise.ts";
export type { Mistakes } from "./harness/metrics/mistakes.ts";
export type { BroadcastReport, LevelBandwidth } from "./harness/metrics/levels.ts";
export type { EpisodeSummary } from "./harness/run/result.ts";
export type { CrashDetection, Spread } from "./harness/metrics/detection.ts";
export type { EpisodeRecord } from "./harness/metrics/episodes.ts";
export type { PhiOptions } from "./lib/basic/phi.ts";
export { DISSEMINATION_STYLES, type DisseminationStyle } from "./lib/basic/options.ts";
export type { Topology } from "./lib/basic/topology.ts";
export type { CatastropheOptions } from "./lib/basic/catastrophe.ts";
export type { NeighborSettings } from "./lib/neighbor/options.ts";
export type { SimEvent } from "./lib/sim/simulate.ts";
export type { Interval } from "./lib/core/stats.ts";
export type { HistogramData } from "./lib/core/histogram.ts";
export {
  LINK_COUNTERS,
  type LinkCounter,
  type LinkCounters,
  MEMBER_COUNTERS,
  type MemberCounter,
  TCP_MEMBER_COUNTERS,
  type TcpCounters,
  type TcpMemberCounter,
} from "./harness/proxy/books.ts";
export type { RuleReport } from "./harness/faults/state.ts";
export type { RuleCounters } from "./harness/faults/impairments/rule.ts";
export type { TcpReport } from "./harness/metrics/proxy_report.ts";
export type { BudgetAccounting, DownInterval, NoiseInterval, ProcessReading } from "./harness/metrics/record.ts";
export type { AccountedRate, Bandwidth, TcpBandwidth } from "./harness/metrics/bandwidth.ts";
export {
  FLEET_COUNTERS,
  type FleetAction,
  type FleetCounter,
  type FleetFinal,
  type FleetTotals,
  type FleetView,
  type MemberProcessUsage,
  type SlowCycle,
} from "./harness/hosting/fleet.ts";
