/**
 * The basic gossip heartbeat detector of van Renesse, Minsky and Hayden (1998) and its variants: gossip styles, multi-level targets, catastrophe recovery and phi accrual decisions.
 *
 * @module
 */

export * from "./catastrophe.ts";
export * from "./codec.ts";
export * from "./config.ts";
export * from "./detector.ts";
export * from "./digest.ts";
export * from "./options.ts";
export * from "./phi.ts";
export * from "./topology.ts";
