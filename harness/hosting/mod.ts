/**
 * Where members run: the fleet seam, and shards of harness-hosted members in workers or processes.
 *
 * @module
 */

export * from "./fleet.ts";
export * from "./member_host.ts";
export * from "./scheduler.ts";
export * from "./shard_fleet.ts";
export * from "./shard_protocol.ts";
