/**
 * Real Serf agents as members: `spawnSerfAgent()` starts `serf agent` on
 * loopback, subscribes to its log over RPC (`monitor` at INFO) and turns
 * the lines about other members into timestamped events.
 *
 * The backlog: a new `monitor` first replays up to 512 earlier lines. They
 * are cut off with a marker: once the monitor is acknowledged, a second TCP
 * connection is opened to the RPC port, and the agent logs
 * `agent.ipc: Accepted client: 127.0.0.1:<its port>`. Serf writes every log
 * line to its subscribers under one lock, replaying the backlog first, so
 * the lines after that marker in the stream are exactly the lines written
 * after it, and only those become events. The subscription is made as soon
 * as the RPC port answers, before `spawnSerfAgent()` returns; lines written
 * in the ~1 ms between the acknowledgement and the marker count as backlog
 * (at most the agent's own start-up joins).
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
import { absNowMs } from "../os/clock.ts";
import { type SerfMember, SerfRpcClient } from "./serf_rpc.ts";
import {
  isAcceptedClientLine,
  parseSerfLogLine,
  type SerfEventKind,
  type SerfEventSource,
  serfLogTimeMs,
} from "./serf_log.ts";

export type { SerfMember } from "./serf_rpc.ts";
export type { SerfEventKind, SerfEventSource } from "./serf_log.ts";

/** memberlist's timing presets, as Serf's `-profile`. */
export const SERF_PROFILES = ["lan", "local", "wan"] as const;
/** One of {@linkcode SERF_PROFILES}. */
export type SerfProfile = typeof SERF_PROFILES[number];

/** The message of the error thrown when no `serf` binary is found. */
export const SERF_INSTALL_HINT =
  "Serf is not installed: no 'serf' executable on PATH. Install it with `apt-get install serf` (Debian package 'serf', as root).";

/** An event reported by one agent about a member. */
export interface SerfEvent {
  /** Arrival of the log line at this process, epoch ms (`performance.timeOrigin + performance.now()`). */
  readonly t: number;
  /** What happened to the subject. */
  readonly kind: SerfEventKind;
  /** Node name of the member concerned. */
  readonly subject: string;
  /** The member's IP as the line gives it (memberlist lines: the last IP seen for it; "" if none). */
  readonly address: string;
  /** Node name of the agent that logged it. */
  readonly observer: string;
  /** `serf` for `EventMember*` lines, `memberlist` for its suspect / mark-failed lines. */
  readonly source: SerfEventSource;
  /** The line's own timestamp (whole seconds, epoch ms), if any. */
  readonly logTimeMs: number | undefined;
  /** The log line. */
  readonly line: string;
}

/** Options of {@linkcode spawnSerfAgent}. Every address is on 127.0.0.1. */
export interface SerfAgentOptions {
  /** Node name (`-node`); unique in the cluster. */
  readonly name: string;
  /** Gossip port the agent binds, UDP and TCP (`-bind`). */
  readonly bindPort: number;
  /**
   * Gossip port the agent advertises (`-advertise`), e.g. its port on a proxy.
   * @default {bindPort}
   */
  readonly advertisePort?: number;
  /** RPC port (`-rpc-addr`). */
  readonly rpcPort: number;
  /**
   * memberlist timing preset (`-profile`).
   * @default {"lan"}
   */
  readonly profile?: SerfProfile;
  /**
   * Gossip ports to join at start (`-join 127.0.0.1:<port>` each); Serf exits if none answers.
   * @default {[]}
   */
  readonly join?: readonly number[];
  /**
   * The serf executable.
   * @default {the result of ensureSerf()}
   */
  readonly serfPath?: string;
  /**
   * How long to wait for the agent to answer RPC and for the backlog marker (ms).
   * @default {10000}
   */
  readonly startTimeoutMs?: number;
  /**
   * How long an RPC request (`members()`) may wait for its reply (ms); a
   * stopped agent (SIGSTOP) answers none.
   * @default {5000}
   */
  readonly rpcTimeoutMs?: number;
  /**
   * How long `close()` waits after SIGTERM before SIGKILL (ms).
   * @default {3000}
   */
  readonly stopGraceMs?: number;
  /** Called with each event as it arrives (also kept in `events`). Must not throw. */
  readonly onEvent?: (event: SerfEvent) => void;
  /** Called with every live monitor line (INFO and up, backlog excluded) and its arrival time. Must not throw. */
  readonly onLine?: (line: string, t: number) => void;
}

/** How the monitor subscription was cut from its backlog. */
export interface SerfSubscription {
  /** When the agent acknowledged the `monitor` request (epoch ms). */
  readonly ackAtMs: number;
  /** When the marker connection was opened (epoch ms). */
  readonly markerSentAtMs: number;
  /** When the marker line arrived (epoch ms): events are the lines after it. */
  readonly liveFromMs: number;
  /** The marker line. */
  readonly markerLine: string;
  /** The marker line's own timestamp (whole seconds); every event's `logTimeMs` is at least this. */
  readonly markerLogTimeMs: number | undefined;
  /** Lines skipped as backlog (INFO and up, before the marker, the marker excluded). */
  readonly backlogLines: number;
}

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
 * The path of the `serf` executable on PATH.
 *
 * @throws {Error} with {@linkcode SERF_INSTALL_HINT} when there is none.
 */
export async function ensureSerf(): Promise<string> {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const dir of [...dirs, "/usr/bin", "/usr/local/bin"]) {
    const path = `${dir}/serf`;
    try {
      const info = await Deno.stat(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // Not there.
    }
  }
  throw new Error(SERF_INSTALL_HINT);
}

/**
 * `count` distinct loopback ports free for both TCP and UDP right now (all
 * held open together while chosen, then released).
 */
export function allocateLoopbackPorts(count: number): number[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Cannot allocate ports as 'count' must be a non-negative integer: current value is ${count}`);
  }
  const held: { close(): void }[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
      held.push(tcp);
      const port = (tcp.addr as Deno.NetAddr).port;
      try {
        held.push(Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" }));
      } catch {
        continue; // UDP side taken: keep the TCP listener held so the port is not offered again, try another.
      }
      ports.push(port);
    }
  } finally {
    for (const socket of held) socket.close();
  }
  return ports;
}

/** The `serf agent` arguments for `options`. */
export function serfAgentArgs(options: SerfAgentOptions): string[] {
  const { name, bindPort, advertisePort = bindPort, rpcPort, profile = "lan", join = [] } = options;
  if (!(SERF_PROFILES as readonly string[]).includes(profile)) {
    throw new RangeError(
      `Cannot start Serf as 'profile' must be one of ${SERF_PROFILES.join(", ")}: current value is ${profile}`,
    );
  }
  return [
    "agent",
    `-node=${name}`,
    `-bind=127.0.0.1:${bindPort}`,
    `-advertise=127.0.0.1:${advertisePort}`,
    `-rpc-addr=127.0.0.1:${rpcPort}`,
    `-profile=${profile}`,
    "-log-level=info",
    ...join.map((port) => `-join=127.0.0.1:${port}`),
  ];
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
  const child = new Deno.Command(serfPath, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
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
  readonly events: SerfEvent[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #options: SerfAgentOptions;
  readonly #stopGraceMs: number;
  readonly #output: Promise<unknown>;
  readonly #tail: string[] = [];
  /** Last IP seen per node name, backlog included (memberlist lines carry none). */
  readonly #addresses = new Map<string, string>();
  #exited = false;
  #rpc: SerfRpcClient | undefined;
  #subscription: SerfSubscription | undefined;
  #closing: Promise<Deno.CommandStatus> | undefined;
  /** Lines before the marker, kept until the marker is known. */
  #early: { line: string; t: number }[] | undefined = [];
  #markerAddr: string | undefined;
  #onMarker: (() => void) | undefined;
  #live = false;
  #backlogLines = 0;
  #markerLine = "";
  #liveFromMs = 0;

  constructor(child: Deno.ChildProcess, options: SerfAgentOptions, stopGraceMs: number) {
    this.#child = child;
    this.#options = options;
    this.#stopGraceMs = stopGraceMs;
    this.name = options.name;
    this.pid = child.pid;
    this.bindPort = options.bindPort;
    this.advertisePort = options.advertisePort ?? options.bindPort;
    this.rpcPort = options.rpcPort;
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

  get subscription(): SerfSubscription {
    if (this.#subscription === undefined) throw new Error(`Serf agent '${this.name}' is not subscribed yet`);
    return this.#subscription;
  }

  /** Connects, subscribes, cuts the backlog and checks the agent's identity. */
  async start(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const remaining = () => Math.max(1, deadline - performance.now());
    const rpc = await this.#connect(deadline);
    this.#rpc = rpc;
    await rpc.monitor("INFO", (line) => this.#onMonitorLine(line));
    const ackAtMs = absNowMs();

    const markerSentAtMs = absNowMs();
    const marker = await Deno.connect({ hostname: "127.0.0.1", port: this.rpcPort, transport: "tcp" });
    try {
      const local = marker.localAddr as Deno.NetAddr;
      const seen = new Promise<void>((resolve) => this.#onMarker = resolve);
      this.#markerAddr = `${local.hostname}:${local.port}`;
      this.#scanEarly();
      await withTimeout(seen, remaining(), `no marker line for RPC client ${this.#markerAddr} on the monitor`);
    } finally {
      marker.close();
    }
    this.#subscription = {
      ackAtMs,
      markerSentAtMs,
      liveFromMs: this.#liveFromMs,
      markerLine: this.#markerLine,
      markerLogTimeMs: serfLogTimeMs(this.#markerLine),
      backlogLines: this.#backlogLines,
    };

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

  #onMonitorLine(line: string): void {
    const t = absNowMs();
    if (this.#live) {
      this.#emit(line, t);
    } else {
      this.#early!.push({ line, t });
      if (this.#markerAddr !== undefined) this.#scanEarly();
    }
  }

  /** Once the marker's address is known: finds the marker among the early lines; what follows it is live. */
  #scanEarly(): void {
    const early = this.#early!;
    const at = early.findIndex(({ line }) => isAcceptedClientLine(line, this.#markerAddr!));
    if (at < 0) return;
    for (const { line } of early.slice(0, at)) this.#learnAddress(line);
    this.#backlogLines = at;
    this.#markerLine = early[at]!.line;
    this.#liveFromMs = early[at]!.t;
    this.#live = true;
    this.#early = undefined;
    for (const { line, t } of early.slice(at + 1)) this.#emit(line, t);
    this.#onMarker?.();
  }

  #learnAddress(line: string): void {
    const parsed = parseSerfLogLine(line);
    if (parsed?.address !== undefined) this.#addresses.set(parsed.subject, parsed.address);
  }

  #emit(line: string, t: number): void {
    this.#options.onLine?.(line, t);
    const parsed = parseSerfLogLine(line);
    if (parsed === undefined) return;
    if (parsed.address !== undefined) this.#addresses.set(parsed.subject, parsed.address);
    const event: SerfEvent = {
      t,
      kind: parsed.kind,
      subject: parsed.subject,
      address: parsed.address ?? this.#addresses.get(parsed.subject) ?? "",
      observer: this.name,
      source: parsed.source,
      logTimeMs: parsed.logTimeMs,
      line,
    };
    this.events.push(event);
    this.#options.onEvent?.(event);
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
      let timer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise<"timeout">((resolve) =>
        timer = setTimeout(() => resolve("timeout"), this.#stopGraceMs)
      );
      const first = await Promise.race([this.status, graceOver]);
      clearTimeout(timer);
      if (first === "timeout") {
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

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(what)), ms));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
