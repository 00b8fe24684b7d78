/**
 * Scenarios: the schema every scenario is written against, its one error
 * class, and the resolution into everything a run needs.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./resolve.ts";
export * from "./schema.ts";
