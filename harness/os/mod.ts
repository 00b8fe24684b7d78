/**
 * What the harness asks of the operating system: the clock, timers, child processes and their channels, /proc readings, atomic files.
 *
 * @module
 */

export * from "./channel.ts";
export * from "./child.ts";
export * from "./clock.ts";
export * from "./deadline_queue.ts";
export * from "./files.ts";
export * from "./procfs.ts";
export * from "./readings.ts";
export * from "./socket_owner.ts";
export * from "./tethered.ts";
