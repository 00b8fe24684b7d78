/**
 * The fault-injector seam: what a run asks of the proxy, whether it runs in
 * the harness's own event loop ({@linkcode UdpProxy}, for tests) or in a
 * process of its own (`ProxyProcess`, for runs). Every change resolves to
 * the instant (epoch ms) it took effect, which the run records as the
 * fault's time.
 *
 * @module
 */

import type { ProcessUsage } from "../os/readings.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import type { Cut } from "../faults/partitions.ts";
import type { ProxyCounters } from "./books.ts";

/** A fault-injecting relay between members. */
export interface FaultInjector extends AsyncDisposable {
  /** Public port of each member, by index: the address everyone else knows it by. */
  readonly publicPorts: readonly number[];
  /** The subnet broadcast address's port, or 0 when there is none. */
  readonly broadcastPort: number;
  /** Black-holes (crash by proxy) or restores everything to and from `member`. */
  setBlackhole(member: number, on: boolean): Promise<number>;
  /** Marks `member` killed (datagrams to it are counted, not sent) or restarted. */
  setDead(member: number, dead: boolean): Promise<number>;
  /** Installs a partition's cuts, replacing any other. */
  setPartition(cuts: readonly Cut[]): Promise<number>;
  /** Removes every partition cut. */
  heal(): Promise<number>;
  /** Adds an impairment rule (its id must be free). */
  addRule(rule: RuleSpec): Promise<number>;
  /** Removes an impairment rule by id. */
  removeRule(id: string): Promise<number>;
  /** Removes every fault (black holes, deaths, partitions, rules but the whole-run loss). */
  healAll(): Promise<number>;
  /**
   * The process id of each member hosted outside the harness, by index (null:
   * no process now), so the TCP relay can tell which member opened a
   * connection; sent again after every restart.
   */
  setMemberPids(pids: readonly (number | null)[]): Promise<void>;
  /** Every counter (`{ links: false }` leaves out the n² per-link arrays). */
  counters(options?: { links?: boolean }): Promise<ProxyCounters>;
  /** The relay's own CPU time and memory, or null when it shares the caller's process. */
  usage(): Promise<ProcessUsage | null>;
  /** Stops relaying and frees every socket. */
  close(): Promise<void>;
}
