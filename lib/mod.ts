/**
 * The pure core: detectors as state machines (time and bytes in, sends and events out), their codecs, options and kinds, the models they are compared with, and a small simulator. No I/O, no clock, no Math.random.
 *
 * @module
 */

export * from "./core/mod.ts";
export * from "./basic/mod.ts";
export * from "./swim/mod.ts";
export * from "./neighbor/mod.ts";
export * from "./model/mod.ts";
export * from "./sim/mod.ts";
