/**
 * Running a scenario end to end, and the result it writes.
 *
 * @module
 */

export * from "./execute.ts";
export * from "./result.ts";
export * from "./run.ts";
