/**
 * The member-kind registry: every detector a scenario can name.
 *
 * @module
 */

export * from "./registry.ts";
