/**
 * What the parts of `ffi_udp_bench.ts` share: the process CPU clock, the
 * set knobs under test, and a sum of per-port counters. Private to
 * `harness/net/`.
 *
 * @module
 */

import process from "node:process";

/** CPU time (ms) of this process, all threads, user + system. */
export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** `UdpSocketSet` knobs of the sets under test (ping-pong, relay and members alike). */
export interface Tuning {
  coalesceUs: number;
  repollBudgetUs: number;
}

/** The sum of a map's values (e.g. `readProcUdpDrops` per port). */
export const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
