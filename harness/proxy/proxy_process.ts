/**
 * The proxy in its own Deno process, off the members' event loop, driven
 * over the request/reply channel of `../os/channel.ts`. The same
 * {@linkcode FaultInjector} as the in-process {@linkcode UdpProxy}.
 *
 * @module
 */

import { processChannel, RpcClient } from "../os/channel.ts";
import type { ProcessUsage } from "../os/readings.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import type { Cut } from "../faults/partitions.ts";
import { PortInUseError } from "../net/udp_transport.ts";
import type { ProxyCounters } from "./books.ts";
import type { FaultInjector } from "./injector.ts";
import type { ProxyOptions } from "./udp_proxy.ts";

/** A proxy running in a child process. */
export class ProxyProcess implements FaultInjector {
  readonly #rpc = new RpcClient("proxy");
  readonly #channel: ReturnType<typeof processChannel>;
  #closed = false;
  /** Public port of each member, by index. */
  publicPorts: readonly number[] = [];
  /** The broadcast address's port, or 0 when there is none. */
  broadcastPort = 0;
  /** The child's process id. */
  readonly pid: number;

  private constructor() {
    this.#channel = processChannel(new URL("./proxy_main.ts", import.meta.url), (m) => this.#rpc.receive(m));
    this.#rpc.attach(this.#channel);
    this.pid = this.#channel.child.pid;
  }

  /** Spawns the proxy process and starts the proxy in it. */
  static async start(options: ProxyOptions): Promise<ProxyProcess> {
    const proxy = new ProxyProcess();
    try {
      const reply = await proxy.#call<{ publicPorts: number[]; broadcastPort: number }>({ op: "start", options });
      proxy.publicPorts = reply.publicPorts;
      proxy.broadcastPort = reply.broadcastPort;
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return proxy;
  }

  async #at(request: Record<string, unknown>): Promise<number> {
    return (await this.#call<{ atMs: number }>(request)).atMs;
  }

  async #call<T>(request: Record<string, unknown>): Promise<T> {
    try {
      return await this.#rpc.call<T>(request);
    } catch (error) {
      const e = error as Error & { port?: number };
      if (e.name === "PortInUseError") throw new PortInUseError(e.port ?? 0);
      if (e.name === "ConfigError" || e.name === "RangeError") throw new RangeError(e.message);
      throw error;
    }
  }

  setBlackhole(member: number, on: boolean): Promise<number> {
    return this.#at({ op: "setBlackhole", member, on });
  }

  setDead(member: number, dead: boolean): Promise<number> {
    return this.#at({ op: "setDead", member, dead });
  }

  setPartition(cuts: readonly Cut[]): Promise<number> {
    return this.#at({ op: "setPartition", cuts });
  }

  heal(): Promise<number> {
    return this.#at({ op: "heal" });
  }

  addRule(rule: RuleSpec): Promise<number> {
    return this.#at({ op: "addRule", rule });
  }

  removeRule(id: string): Promise<number> {
    return this.#at({ op: "removeRule", ruleId: id });
  }

  healAll(): Promise<number> {
    return this.#at({ op: "healAll" });
  }

  async setMemberPids(pids: readonly (number | null)[]): Promise<void> {
    await this.#call({ op: "setMemberPids", pids });
  }

  async counters(options: { links?: boolean } = {}): Promise<ProxyCounters> {
    return (await this.#call<{ counters: ProxyCounters }>({ op: "counters", links: options.links !== false }))
      .counters;
  }

  async usage(): Promise<ProcessUsage | null> {
    return (await this.#call<{ usage: ProcessUsage }>({ op: "usage" })).usage;
  }

  /** Closes the proxy's sockets and ends the process (killing it if it does not end within 3 s). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const timeout = setTimeout(() => void this.#channel.terminate(), 3000);
    try {
      await this.#call({ op: "close" });
    } catch {
      // it may have exited already
    }
    clearTimeout(timeout);
    await this.#channel.terminate();
  }

  /** Closes the proxy process (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
