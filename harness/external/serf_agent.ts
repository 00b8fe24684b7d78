/**
 * Real Serf agents as members: `spawnSerfAgent()` starts `serf agent` on
 * loopback, subscribes to its log over RPC (`monitor` at INFO) and turns
 * the lines about other members into timestamped events.
 *
 * The monitor subscription is cut from the agent's replayed backlog (see
 * `serf_monitor.ts`); the options and command line are in `serf_args.ts`.
 *
 * @example
 * ```ts
 * const [gossip, rpc] = await allocateLoopbackPorts(2);
 * await using agent = await spawnSerfAgent({ name: "a", bindPort: gossip!, rpcPort: rpc!, onEvent: (e) => log(e) });
 * const members = await agent.members();
 * ```
 *
 * @module
 */

import { forEachLine } from "../os/child.ts";
import { tetheredCommand } from "../os/tethered.ts";
import { raceTimeout, TIMED_OUT } from "./_timeout.ts";
import { ensureSerf, serfAgentArgs, type SerfAgentOptions } from "./serf_args.ts";
import { type SerfEvent, SerfMonitor, type SerfSubscription } from "./serf_monitor.ts";
import { type SerfMember, SerfRpcClient } from "./serf_rpc.ts";

/** A running Serf agent. */
export interface SerfAgent extends AsyncDisposable {
  /** Node name. */
  readonly name: string;
  /** Process id of `serf agent`. */
  readonly pid: number;
  /** Gossip port bound. */
  readonly bindPort: number;
  /** Gossip port advertised (what other members see in `members()`). */
  readonly advertisePort: number;
  /** RPC port. */
  readonly rpcPort: number;
  /** How the log subscription was cut from its backlog. */
  readonly subscription: SerfSubscription;
  /** Every event so far, in arrival order. */
  readonly events: readonly SerfEvent[];
  /** Resolves when the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** The agent's member list (RPC `members`), for reconciliation. */
  members(): Promise<SerfMember[]>;
  /** Sends a signal to the process (a member removal in the harness is `SIGKILL`); no-op once it has exited. */
  kill(signal?: Deno.Signal): void;
  /** Closes the RPC connection, then SIGTERM, SIGKILL after `stopGraceMs`; resolves with the exit status. Idempotent. */
  close(): Promise<Deno.CommandStatus>;
  /** The last lines the process wrote to stdout and stderr (for error reports). */
  outputTail(): string[];
}

/**
 * Starts `serf agent`, waits until its RPC port answers, subscribes to its
 * log (cutting off the replayed backlog, see the module doc) and checks that
 * the agent answering is this one.
 *
 * @throws {Error} when serf is missing, exits, or does not answer within
 * `startTimeoutMs`; the message carries the agent's last output lines.
 */
export async function spawnSerfAgent(options: SerfAgentOptions): Promise<SerfAgent> {
  const { startTimeoutMs = 10_000, stopGraceMs = 3000 } = options;
  if (!(startTimeoutMs > 0)) {
    throw new RangeError(`Cannot start Serf as 'startTimeoutMs' must be positive: current value is ${startTimeoutMs}`);
  }
  if (!((options.rpcTimeoutMs ?? 5000) > 0)) {
    throw new RangeError(
      `Cannot start Serf as 'rpcTimeoutMs' must be positive: current value is ${options.rpcTimeoutMs}`,
    );
  }
  if (!(stopGraceMs >= 0)) {
    throw new RangeError(`Cannot start Serf as 'stopGraceMs' must be non-negative: current value is ${stopGraceMs}`);
  }
  const args = serfAgentArgs(options);
  const serfPath = options.serfPath ?? await ensureSerf();
  const { command, ...spawnAs } = options.tethered ? tetheredCommand(serfPath, args) : { command: serfPath, args };
  const child = new Deno.Command(command, { ...spawnAs, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  options.onSpawn?.(child.pid);
  const agent = new SerfAgentProcess(child, options, stopGraceMs);
  try {
    await agent.start(startTimeoutMs);
  } catch (error) {
    agent.kill("SIGKILL");
    await agent.close();
    const tail = agent.outputTail().map((l) => `  | ${l}`).join("\n");
    throw new Error(
      `Serf agent '${options.name}' did not start (${(error as Error).message})${
        tail === "" ? "" : `; its output:\n${tail}`
      }`,
      { cause: error },
    );
  }
  return agent;
}

const TAIL_LINES = 40;

/** The process, its output readers and its RPC connection. */
class SerfAgentProcess implements SerfAgent {
  readonly name: string;
  readonly pid: number;
  readonly bindPort: number;
  readonly advertisePort: number;
  readonly rpcPort: number;
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #options: SerfAgentOptions;
  readonly #stopGraceMs: number;
  readonly #output: Promise<unknown>;
  readonly #tail: string[] = [];
  readonly #monitor: SerfMonitor;
  #exited = false;
  #rpc: SerfRpcClient | undefined;
  #subscription: SerfSubscription | undefined;
  #closing: Promise<Deno.CommandStatus> | undefined;

  constructor(child: Deno.ChildProcess, options: SerfAgentOptions, stopGraceMs: number) {
    this.#child = child;
    this.#options = options;
    this.#stopGraceMs = stopGraceMs;
    this.name = options.name;
    this.pid = child.pid;
    this.bindPort = options.bindPort;
    this.advertisePort = options.advertisePort ?? options.bindPort;
    this.rpcPort = options.rpcPort;
    this.#monitor = new SerfMonitor(options.name, options);
    this.status = child.status.then((status) => {
      this.#exited = true;
      return status;
    });
    const keep = (line: string) => {
      this.#tail.push(line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    };
    this.#output = Promise.allSettled([forEachLine(child.stdout, keep), forEachLine(child.stderr, keep)]);
  }

  get events(): readonly SerfEvent[] {
    return this.#monitor.events;
  }

  get subscription(): SerfSubscription {
    if (this.#subscription === undefined) throw new Error(`Serf agent '${this.name}' is not subscribed yet`);
    return this.#subscription;
  }

  /** Connects, subscribes, cuts the backlog and checks the agent's identity. */
  async start(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const rpc = await this.#connect(deadline);
    this.#rpc = rpc;
    this.#subscription = await this.#monitor.subscribe(rpc, this.rpcPort, deadline);

    const members = await rpc.members();
    const self = members.find((m) => m.name === this.name);
    if (self === undefined || self.port !== this.advertisePort) {
      throw new Error(
        `RPC port ${this.rpcPort} is answered by another agent (members: ${members.map((m) => m.name).join(", ")})`,
      );
    }
  }

  async #connect(deadline: number): Promise<SerfRpcClient> {
    let last: unknown;
    while (performance.now() < deadline) {
      if (this.#exited) {
        const { code, signal } = await this.status;
        throw new Error(`serf exited with ${signal ?? `code ${code}`}`);
      }
      try {
        const timeoutMs = this.#options.rpcTimeoutMs ?? 5000;
        return await SerfRpcClient.connect(this.rpcPort, { timeoutMs });
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`RPC port ${this.rpcPort} did not answer: ${(last as Error | undefined)?.message}`);
  }

  members(): Promise<SerfMember[]> {
    if (this.#rpc === undefined) return Promise.reject(new Error(`Serf agent '${this.name}' has no RPC connection`));
    return this.#rpc.members();
  }

  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch (error) {
      // The process exited between the check and the signal.
      if (!(error instanceof TypeError)) throw error;
    }
  }

  close(): Promise<Deno.CommandStatus> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<Deno.CommandStatus> {
    await this.#rpc?.close();
    if (!this.#exited) {
      this.kill("SIGTERM");
      if (await raceTimeout(this.status, this.#stopGraceMs) === TIMED_OUT) {
        this.kill("SIGKILL");
        // A stopped process (SIGSTOP) dies on SIGKILL too.
      }
    }
    const status = await this.status;
    await this.#output;
    return status;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(() => {});
  }

  outputTail(): string[] {
    return [...this.#tail];
  }
}
