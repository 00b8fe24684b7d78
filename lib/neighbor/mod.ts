/**
 * The lecture's faster approach: membership gossip, failures found by pings to ring neighbours.
 *
 * @module
 */

export * from "./codec.ts";
export * from "./detector.ts";
export * from "./options.ts";
