/**
 * The simulator: runs any scenario in virtual time with the same detectors, fault decisions, journal and metrics.
 *
 * @module
 */

export { EventKind, EventQueue } from "./event_queue.ts";
export { SimMembers, type SimMembersOptions } from "./members.ts";
export { BASE_LATENCY_MS, SimNetwork, type SimNetworkOptions } from "./network.ts";
export {
  DRAIN_MS,
  SIM_BASE_PORT,
  simulatedIds,
  type SimulateOptions,
  simulateScenario,
  STATS_INTERVAL_MS,
} from "./simulate.ts";
