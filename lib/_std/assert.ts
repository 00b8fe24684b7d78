// Typed boundary over deno-std's assertions (the npm republish ships JS
// without types). Mapped as "@std/assert" in deno.json; switching to
// jsr:@std/assert later only changes the map.
// deno-lint-ignore-file no-explicit-any
import * as std from "deno-std/assert/mod.js";

type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

/** Throws unless `expr` is truthy. */
export const assert: (expr: unknown, msg?: string) => asserts expr = std.assert;
/** Deep equality. */
export const assertEquals: <T>(actual: T, expected: T, msg?: string) => void = std.assertEquals;
/** Throws when `actual` is null or undefined. */
export const assertExists: <T>(actual: T, msg?: string) => asserts actual is NonNullable<T> = std.assertExists;
/** Numbers equal within `tolerance`. */
export const assertAlmostEquals: (actual: number, expected: number, tolerance?: number, msg?: string) => void =
  std.assertAlmostEquals;
/** Throws unless `value` is an instance of `type`. */
export const assertInstanceOf: <T extends abstract new (...args: any[]) => any>(
  value: unknown,
  type: T,
  msg?: string,
) => asserts value is InstanceType<T> = std.assertInstanceOf;

/** Asserts that `fn` throws; returns what it threw. */
export interface AssertThrows {
  (fn: () => unknown, msg?: string): unknown;
  <E extends Error>(fn: () => unknown, errorClass: ErrorClass<E>, msgIncludes?: string, msg?: string): E;
}
/** Asserts that `fn` throws; returns what it threw. */
export const assertThrows: AssertThrows = std.assertThrows;

/** Asserts that `fn` rejects; resolves to what it rejected with. */
export interface AssertRejects {
  (fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
  <E extends Error>(
    fn: () => PromiseLike<unknown>,
    errorClass: ErrorClass<E>,
    msgIncludes?: string,
    msg?: string,
  ): Promise<E>;
}
/** Asserts that `fn` rejects; resolves to what it rejected with. */
export const assertRejects: AssertRejects = std.assertRejects;
