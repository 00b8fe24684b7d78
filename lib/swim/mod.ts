/**
 * SWIM (Das, Gupta, Motivala 2002) with Lifeguard's three parts and memberlist's separate gossip.
 *
 * @module
 */

export * from "./codec.ts";
export * from "./detector.ts";
export * from "./options.ts";
export * from "./suspicion.ts";
