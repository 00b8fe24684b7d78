/**
 * What the fault injector decides with: impairments, rules, partitions, the fault schedule, and the pure per-datagram judgement.
 *
 * @module
 */

export * from "./impairments/impairment.ts";
export * from "./impairments/registry.ts";
export * from "./impairments/rule.ts";
export * from "./impairments/loss.ts";
export * from "./impairments/gilbert_elliott.ts";
export * from "./impairments/delay.ts";
export * from "./impairments/duplicate.ts";
export * from "./impairments/corrupt.ts";
export * from "./impairments/reorder.ts";
export * from "./impairments/rate.ts";
export * from "./judge.ts";
export * from "./partitions.ts";
export * from "./schedule.ts";
export * from "./state.ts";
