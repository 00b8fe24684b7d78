/**
 * Runs the proxy in its own Deno process, off the members' event loop, and
 * drives it with one JSON line per command over stdin/stdout.
 *
 * @module
 */

import type { ProcessUsage } from "../os/readings.ts";
import type { ProxyCounters, ProxyOptions } from "./udp_proxy.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import type { Cut } from "../faults/partitions.ts";
import { PortInUseError } from "../net/udp_transport.ts";
import { forEachLine, lineWriter, spawnDeno } from "../os/child.ts";

/** Commands understood by the proxy process. */
export type ProxyCommand =
  | {
    readonly id: number;
    readonly op: "start";
    readonly options: ProxyOptions;
  }
  | {
    readonly id: number;
    readonly op: "blackhole";
    readonly member: number;
    readonly on: boolean;
  }
  | { readonly id: number; readonly op: "loss"; readonly probability: number }
  | { readonly id: number; readonly op: "addRule"; readonly rule: RuleSpec }
  | { readonly id: number; readonly op: "removeRule"; readonly ruleId: string }
  | { readonly id: number; readonly op: "partition"; readonly cuts: readonly Cut[] }
  | { readonly id: number; readonly op: "heal" }
  | { readonly id: number; readonly op: "dead"; readonly member: number; readonly dead: boolean }
  | { readonly id: number; readonly op: "healAll" }
  | { readonly id: number; readonly op: "counters"; readonly links?: boolean }
  | { readonly id: number; readonly op: "usage" }
  | { readonly id: number; readonly op: "close" };

/** One reply line. */
export interface ProxyReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly errorName?: string;
  readonly publicPorts?: number[];
  readonly broadcastPort?: number;
  readonly pid?: number;
  readonly atMs?: number;
  readonly counters?: ProxyCounters;
  readonly usage?: ProcessUsage;
}

/** Distributes command ids while keeping the command's own fields typed. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** A proxy running in a child process. */
export class ProxyProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: ReturnType<typeof lineWriter>;
  readonly #waiting = new Map<number, (reply: ProxyReply) => void>();
  readonly #reader: Promise<void>;
  #nextId = 1;
  #exited = false;
  /** Public port of each member, by index. */
  publicPorts: readonly number[] = [];
  /** The broadcast address's port, or 0 when there is none. */
  broadcastPort = 0;
  /** The child's process id. */
  readonly pid: number;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    this.#writer = lineWriter(child);
    this.#reader = this.#readReplies();
    child.status.then(() => {
      this.#exited = true;
      for (const resolve of this.#waiting.values()) {
        resolve({ id: -1, ok: false, error: "the proxy process exited" });
      }
      this.#waiting.clear();
    });
  }

  /** Spawns the proxy process and starts the proxy in it. */
  static async start(options: ProxyOptions): Promise<ProxyProcess> {
    const child = spawnDeno(new URL("./proxy_main.ts", import.meta.url));
    const proxy = new ProxyProcess(child);
    try {
      const reply = await proxy.#call({ op: "start", options });
      proxy.publicPorts = reply.publicPorts ?? [];
      proxy.broadcastPort = reply.broadcastPort ?? 0;
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return proxy;
  }

  /** Black-holes or restores member `index`; resolves to the instant (epoch ms) it took effect. */
  async setBlackhole(index: number, on: boolean): Promise<number> {
    const reply = await this.#call({ op: "blackhole", member: index, on });
    return reply.atMs!;
  }

  /** Sets the loss probability of every link. */
  async setLoss(probability: number): Promise<void> {
    await this.#call({ op: "loss", probability });
  }

  /** Adds or replaces an impairment rule; resolves to when it took effect (epoch ms). */
  async addRule(rule: RuleSpec): Promise<number> {
    return (await this.#call({ op: "addRule", rule })).atMs!;
  }

  /** Removes a rule by id; resolves to when it took effect. */
  async removeRule(ruleId: string): Promise<number> {
    return (await this.#call({ op: "removeRule", ruleId })).atMs!;
  }

  /** Installs a partition (replacing any other); resolves to when it took effect. */
  async setPartition(cuts: readonly Cut[]): Promise<number> {
    return (await this.#call({ op: "partition", cuts })).atMs!;
  }

  /** Marks a member killed or restarted; resolves to when it took effect. */
  async setDead(index: number, dead: boolean): Promise<number> {
    return (await this.#call({ op: "dead", member: index, dead })).atMs!;
  }

  /** Removes every partition cut; resolves to when it took effect. */
  async heal(): Promise<number> {
    return (await this.#call({ op: "heal" })).atMs!;
  }

  /** Removes every fault (black holes, partitions, rules but the default loss); resolves to when it took effect. */
  async healAll(): Promise<number> {
    return (await this.#call({ op: "healAll" })).atMs!;
  }

  /** Reads every counter (`{ links: false }` leaves out the n² per-link arrays). */
  async counters(options: { links?: boolean } = {}): Promise<ProxyCounters> {
    return (await this.#call({ op: "counters", ...(options.links === false ? { links: false } : {}) })).counters!;
  }

  /** The proxy process's own CPU time and memory. */
  async usage(): Promise<ProcessUsage> {
    return (await this.#call({ op: "usage" })).usage!;
  }

  /** Closes the proxy's sockets and ends the process (killing it if it does not end). */
  async close(): Promise<void> {
    if (!this.#exited) {
      const timeout = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // gone already
        }
      }, 3000);
      try {
        await this.#call({ op: "close" });
      } catch {
        // it may have exited already
      }
      await this.#writer.close();
      await this.#child.status;
      clearTimeout(timeout);
    }
    await this.#reader;
  }

  /** Closes the proxy process (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #call(command: WithoutId<ProxyCommand>): Promise<ProxyReply> {
    if (this.#exited) throw new Error("the proxy process has exited");
    const id = this.#nextId++;
    const reply = new Promise<ProxyReply>((resolve) => this.#waiting.set(id, resolve));
    await this.#writer.send({ ...command, id });
    const answer = await reply;
    if (!answer.ok) {
      if (answer.errorName === "PortInUseError") {
        const port = Number(
          /127\.0\.0\.1:(\d+)/.exec(answer.error ?? "")?.[1] ?? 0,
        );
        throw new PortInUseError(port);
      }
      if (answer.errorName === "ImpairmentError" || answer.errorName === "RangeError") {
        throw new RangeError(`proxy: ${answer.error}`);
      }
      throw new Error(`proxy: ${answer.error}`);
    }
    return answer;
  }

  async #readReplies(): Promise<void> {
    await forEachLine(this.#child.stdout, (line) => {
      const reply = JSON.parse(line) as ProxyReply;
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
  }
}
