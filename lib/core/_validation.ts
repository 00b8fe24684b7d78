/**
 * Turns zod's validation issues into one line a person can act on: the
 * field's path (`crashes[0].member`), what is allowed, and the value given.
 * Every schema of the project (scenarios, impairment rules, kind settings)
 * reports through here.
 *
 * @module
 */

import { z } from "zod";
import { ConfigError } from "./errors.ts";

type Path = readonly PropertyKey[];

/** `a.b[0].c` from a path; `prefix` is prepended. */
export function formatPath(path: Path, prefix = ""): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** A value as a person reads it in an error (Infinity and NaN stay themselves, strings are quoted). */
export function formatValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (typeof value === "number") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function lookup(value: unknown, path: Path): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** One issue: the field's path and a sentence naming the allowed range and the value. */
export interface IssueText {
  /** Path of the field at fault (`''` for the whole value). */
  readonly field: string;
  /** `'field' must be …: current value is …`. */
  readonly message: string;
}

/**
 * Describes the first issue of a failed parse of `input`. Unions (such as a
 * duration that is a number or an object) are explained by the branch
 * whose shape the value has, so nested paths keep their prefix.
 */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, prefix = "", basePath: Path = []): IssueText {
  const path = [...basePath, ...issue.path];
  const field = formatPath(path, prefix);
  const name = field === "" ? "the value" : `'${field}'`;
  const actual = lookup(input, path);
  const current = `: current value is ${formatValue(actual)}`;
  // A schema's own message (zod's defaults all start like these) says the range better than we can.
  if (!/^(Invalid|Too (small|big)|Unrecognized)/.test(issue.message)) {
    return { field, message: `${name} ${issue.message}${current}` };
  }
  switch (issue.code) {
    case "unrecognized_keys": {
      const keys = issue.keys.map((k) => formatPath([...path, k], prefix));
      return {
        field: keys.join(", "),
        message: `unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => `'${k}'`).join(", ")}`,
      };
    }
    case "too_small": {
      const what = issue.origin === "array" ? "at least" : issue.inclusive ? ">=" : ">";
      const unit = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
      return { field, message: `${name} must be ${what} ${String(issue.minimum)}${unit}${current}` };
    }
    case "too_big": {
      const what = issue.origin === "array" ? "at most" : issue.inclusive ? "<=" : "<";
      const unit = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
      return { field, message: `${name} must be ${what} ${String(issue.maximum)}${unit}${current}` };
    }
    case "invalid_type": {
      if (actual === undefined) return { field, message: `${name} is required (${issue.expected})` };
      const expected = issue.expected === "int"
        ? "an integer"
        : `${issue.expected === "object" ? "an" : "a"} ${issue.expected}`;
      if (issue.expected === "number" && typeof actual === "number") {
        return { field, message: `${name} must be a finite number${current}` };
      }
      return { field, message: `${name} must be ${expected}, not ${typeName(actual)}${current}` };
    }
    case "invalid_value":
      return {
        field,
        message: `${name} must be ${issue.values.length === 1 ? "" : "one of "}${
          issue.values.map((v) => formatValue(v)).join(", ")
        }${current}`,
      };
    case "invalid_union": {
      const d = issue as { discriminator?: string; options?: unknown[] };
      if (d.discriminator !== undefined) {
        return {
          field,
          message: `${name} must be one of ${(d.options ?? []).map((v) => formatValue(v)).join(", ")}${current}`,
        };
      }
      // Explain with the branch whose top-level type matches the value.
      const branches = issue.errors.filter((b) => b.length > 0);
      const matching = branches.find((b) => !(b[0]!.code === "invalid_type" && b[0]!.path.length === 0));
      if (matching) return describeIssue(matching[0]!, input, prefix, path);
      const expected = branches.map((b) => b[0]!.code === "invalid_type" ? b[0]!.expected : "?").join(" or ");
      if (actual === undefined) return { field, message: `${name} is required (${expected})` };
      return { field, message: `${name} must be ${expected}${current}` };
    }
    case "not_multiple_of":
      return { field, message: `${name} must be a multiple of ${String(issue.divisor)}${current}` };
    case "invalid_format":
      return { field, message: `${name} must be ${issue.format}${current}` };
    default:
      return { field, message: `${name}: ${issue.message}${current}` };
  }
}

/** A probability: a number in [0, 1] (its errors say so). */
export function probabilitySchema(): z.ZodNumber {
  return z.number({ error: "must be a probability, a number in [0, 1]" })
    .min(0, { error: "must be >= 0 (a probability in [0, 1])" })
    .max(1, { error: "must be <= 1 (a probability in [0, 1])" });
}

/**
 * Parses `value` with `schema`; on failure throws the error `make` builds
 * from the first issue (a {@linkcode ConfigError} by default).
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { prefix?: string; make?: (field: string, message: string) => Error } = {},
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { field, message } = describeIssue(parsed.error.issues[0]!, value, options.prefix ?? "");
  throw (options.make ?? ((f, m) => new ConfigError(f, m)))(field, message);
}
