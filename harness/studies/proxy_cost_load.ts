/**
 * The load of `proxy_cost.ts` in a process of its own: a {@linkcode UdpLoad}
 * (paced generator and timestamping sink over member sockets in one
 * `UdpSocketSet`, the thread's reactor) driven over the request/reply
 * channel of `../os/channel.ts`, so neither the measuring process nor the
 * proxy shares its thread. This file is both the client
 * ({@linkcode LoadProcess}) and, run as a program, the child.
 *
 * @module
 */

import { forEachLine, leaveParentGroup, writeLineSync } from "../os/child.ts";
import { processChannel, RpcClient, serveRequests } from "../os/channel.ts";
import { UdpLoad, type UdpLoadOptions, type UdpLoadResult, type UdpLoadStep } from "../net/udp_load.ts";

/** A {@linkcode UdpLoad} in a child process. */
export class LoadProcess {
  readonly #rpc = new RpcClient("load");
  readonly #channel: ReturnType<typeof processChannel>;
  /** Each member's port, by index. */
  ports: readonly number[] = [];

  private constructor() {
    this.#channel = processChannel(new URL(import.meta.url), (m) => this.#rpc.receive(m));
    this.#rpc.attach(this.#channel);
  }

  /** The child's process id. */
  get pid(): number {
    return this.#channel.child.pid;
  }

  /** Spawns the process and opens the load in it. */
  static async start(options: UdpLoadOptions): Promise<LoadProcess> {
    const load = new LoadProcess();
    try {
      load.ports = (await load.#rpc.call<{ ports: number[] }>({ op: "open", options })).ports;
    } catch (error) {
      await load.close();
      throw error;
    }
    return load;
  }

  /** Runs one step (see {@linkcode UdpLoad.step}). */
  step(step: UdpLoadStep): Promise<UdpLoadResult> {
    return this.#rpc.call<{ result: UdpLoadResult }>({ op: "step", step }).then((r) => r.result);
  }

  /** Closes the sockets and ends the process. */
  async close(): Promise<void> {
    try {
      await this.#rpc.call({ op: "close" });
    } catch {
      // gone already
    }
    await this.#channel.terminate();
  }
}

async function child(): Promise<void> {
  leaveParentGroup();
  let load: UdpLoad | undefined;
  // deno-lint-ignore no-explicit-any -- requests arrive as JSON; each op reads its own fields.
  const handle = async (r: any): Promise<Record<string, unknown>> => {
    switch (r.op) {
      case "open":
        load = UdpLoad.open(r.options);
        return { ports: load.ports };
      case "step":
        return { result: await load!.step(r.step) };
      case "close":
        await load?.close();
        load = undefined;
        return {};
      default:
        throw new Error(`unknown op '${r.op}'`);
    }
  };
  const serve = serveRequests(writeLineSync, handle);
  await forEachLine(Deno.stdin.readable, (line) => serve(JSON.parse(line)));
  await load?.close();
  Deno.exit(0);
}

if (import.meta.main) await child();
