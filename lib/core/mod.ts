/**
 * The sans-IO seam every detector implements, member ids, seeded randomness, the common wire header, errors, statistics and histograms: what every detector family shares.
 *
 * @module
 */

export * from "./detector.ts";
export * from "./errors.ts";
export * from "./histogram.ts";
export * from "./kind.ts";
export * from "./member_id.ts";
export * from "./prng.ts";
export * from "./stats.ts";
export * from "./wire.ts";
