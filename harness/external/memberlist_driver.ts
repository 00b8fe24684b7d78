/**
 * Runs real HashiCorp memberlist members, one process each, through the Go
 * driver in `drivers/memberlist` (built offline from Debian's Go sources).
 *
 * @example
 * ```ts
 * const binary = await ensureMemberlistDriver();
 * const m0 = spawnMemberlistMember({ binary, name: "m0", bindPort: 17000, onEvent: (e) => log(e) });
 * await m0.ready;
 * const m1 = spawnMemberlistMember({ binary, name: "m1", bindPort: 17001, join: ["127.0.0.1:17000"] });
 * await m1.ready;
 * const view = await m1.members();
 * await Promise.all([m0.close(), m1.close()]);
 * ```
 * @module
 */

import { tetheredCommand } from "../os/tethered.ts";

const BUILD_SCRIPT = new URL("../../drivers/memberlist/build.sh", import.meta.url);
const INSTALL_HINT = "install with: sudo apt-get install -y golang-go golang-github-hashicorp-memberlist-dev";

/** Event kinds the driver writes (see drivers/memberlist/README.md). */
export type MemberlistEventKind =
  | "ready"
  | "join"
  | "leave"
  | "update"
  | "suspect"
  | "marked-failed"
  | "probe-timeout"
  | "tcp-fallback"
  | "refute"
  | "members"
  | "log"
  | "error";

/** A member's state in memberlist's own table. */
export type MemberlistState = "alive" | "suspect" | "dead" | "left" | "alive-or-suspect" | "unknown";

/** One entry of the `members` reply. */
export interface MemberlistMemberState {
  /** Node name. */
  readonly name: string;
  /** Advertised host:port. */
  readonly address: string;
  /** State in this member's view. */
  readonly state: MemberlistState;
  /** Incarnation number in this member's view (absent in the fallback listing). */
  readonly incarnation?: number;
}

/** One event line of the driver. */
export interface MemberlistEvent {
  /** Wall-clock time in epoch milliseconds (sub-millisecond), stamped in the driver. */
  readonly t: number;
  /** Nanoseconds since the driver process started (monotonic). */
  readonly mono: number;
  /** What happened (see drivers/memberlist/README.md). */
  readonly kind: MemberlistEventKind;
  /** The member the event is about, by name (for ready/members/refute: this member). */
  readonly subject?: string;
  /** The subject's advertised host:port. */
  readonly address?: string;
  /** leave: "failed" or "left"; refute: "suspect" or "dead". */
  readonly state?: string;
  /** leave: the subject's incarnation when it was declared dead or left. */
  readonly incarnation?: number;
  /** marked-failed: peer confirmations seen. */
  readonly confirmations?: number;
  /** refute: who accused this member. */
  readonly from?: string;
  /** log: memberlist's level (DEBUG, INFO, WARN, ERR). */
  readonly level?: string;
  /** log and error: the text. */
  readonly message?: string;
  /** ready: the effective configuration (durations in ms). */
  readonly config?: Readonly<Record<string, number | boolean>>;
  /** members: memberlist's table, including dead and left members until reaped. */
  readonly members?: readonly MemberlistMemberState[];
  /** members: memberlist's local health score (Lifeguard awareness; 0 is healthy). */
  readonly health?: number;
}

/** memberlist's base configurations (Default{LAN,Local,WAN}Config). */
export type MemberlistPreset = "lan" | "local" | "wan";

/** Overrides of memberlist.Config fields; unset fields keep the preset's value. */
export interface MemberlistTuning {
  /** ProbeInterval: time between probes. */
  readonly probeIntervalMs?: number;
  /** ProbeTimeout: wait for a direct ack. */
  readonly probeTimeoutMs?: number;
  /** IndirectChecks: members asked to probe on our behalf. */
  readonly indirectChecks?: number;
  /** SuspicionMult: suspicion timeout = mult · max(1, log10 n) · ProbeInterval. */
  readonly suspicionMult?: number;
  /** 1 turns Lifeguard's dynamic suspicion off. */
  readonly suspicionMaxTimeoutMult?: number;
  /** 1 turns Lifeguard's local-health awareness off. */
  readonly awarenessMaxMultiplier?: number;
  /** GossipInterval: time between gossip rounds (0: piggyback only). */
  readonly gossipIntervalMs?: number;
  /** GossipNodes: members gossiped to per round. */
  readonly gossipNodes?: number;
  /** GossipToTheDeadTime: keep gossiping to a dead member this long. */
  readonly gossipToTheDeadTimeMs?: number;
  /** PushPullInterval: full TCP state sync period (0: off); scaled up above 32 members. */
  readonly pushPullIntervalMs?: number;
  /** TCPTimeout: stream connect/read/write timeout. */
  readonly tcpTimeoutMs?: number;
  /** RetransmitMult: broadcast retransmits = mult · ceil(log10(n + 1)). */
  readonly retransmitMult?: number;
  /** DeadNodeReclaimTime: a dead name may rejoin from a new address after this (0: never). */
  readonly deadNodeReclaimTimeMs?: number;
  /** DisableTcpPings: no TCP fallback ping when UDP probes fail. */
  readonly disableTcpPings?: boolean;
  /** HandoffQueueDepth: queued incoming UDP messages. */
  readonly handoffQueueDepth?: number;
  /** UDPBufferSize: max bytes per packet. */
  readonly udpBufferSize?: number;
  /** EnableCompression: compress messages. */
  readonly enableCompression?: boolean;
  /** GossipVerifyIncoming: require encryption on incoming gossip (with a key). */
  readonly gossipVerifyIncoming?: boolean;
  /** GossipVerifyOutgoing: encrypt outgoing gossip (with a key). */
  readonly gossipVerifyOutgoing?: boolean;
  /** RequireNodeNames: require the target's name in messages. */
  readonly requireNodeNames?: boolean;
  /** ProtocolVersion spoken (1..5). */
  readonly protocolVersion?: number;
  /** AES key of 16, 24 or 32 characters; turns encryption on. */
  readonly secretKey?: string;
}

/** Tuning field → driver flag; fields ending in Ms are passed as Go durations. */
const TUNING_FLAGS: Readonly<Record<keyof MemberlistTuning, string>> = {
  probeIntervalMs: "probe-interval",
  probeTimeoutMs: "probe-timeout",
  indirectChecks: "indirect-checks",
  suspicionMult: "suspicion-mult",
  suspicionMaxTimeoutMult: "suspicion-max-timeout-mult",
  awarenessMaxMultiplier: "awareness-max-multiplier",
  gossipIntervalMs: "gossip-interval",
  gossipNodes: "gossip-nodes",
  gossipToTheDeadTimeMs: "gossip-to-the-dead-time",
  pushPullIntervalMs: "push-pull-interval",
  tcpTimeoutMs: "tcp-timeout",
  retransmitMult: "retransmit-mult",
  deadNodeReclaimTimeMs: "dead-node-reclaim-time",
  disableTcpPings: "disable-tcp-pings",
  handoffQueueDepth: "handoff-queue-depth",
  udpBufferSize: "udp-buffer-size",
  enableCompression: "enable-compression",
  gossipVerifyIncoming: "gossip-verify-incoming",
  gossipVerifyOutgoing: "gossip-verify-outgoing",
  requireNodeNames: "require-node-names",
  protocolVersion: "protocol-version",
  secretKey: "secret-key",
};

/** The driver flags for a tuning, in a stable order. */
export function memberlistTuningArgs(tuning: MemberlistTuning): string[] {
  const args: string[] = [];
  for (const [field, flag] of Object.entries(TUNING_FLAGS) as [keyof MemberlistTuning, string][]) {
    const value = tuning[field];
    if (value === undefined) continue;
    if (typeof value === "number" && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(
        `Cannot pass '${field}' to memberlist as it must be a finite number >= 0: current value is ${value}`,
      );
    }
    args.push(`-${flag}=${field.endsWith("Ms") ? `${value}ms` : String(value)}`);
  }
  return args;
}

/**
 * Builds the driver if needed (cached by a hash of its sources) and returns
 * the binary's path.
 *
 * @throws {Error} when Go or memberlist's sources are missing (the message
 * says how to install them) or the build fails.
 */
export async function ensureMemberlistDriver(): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("bash", { args: [BUILD_SCRIPT.pathname], stdout: "piped", stderr: "piped" })
      .output();
  } catch (cause) {
    throw new Error(`memberlist driver: cannot run ${BUILD_SCRIPT.pathname}; ${INSTALL_HINT}`, { cause });
  }
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) {
    const hint = stderr.includes("apt-get install") ? "" : `; ${INSTALL_HINT}`;
    throw new Error(`${stderr || `memberlist driver: build.sh exited with ${output.code}`}${hint}`);
  }
  const path = new TextDecoder().decode(output.stdout).trim();
  if (path === "") throw new Error(`memberlist driver: build.sh printed no path (${stderr})`);
  return path;
}

/** Options of {@linkcode spawnMemberlistMember}. */
export interface MemberlistMemberOptions {
  /** The driver binary, from {@linkcode ensureMemberlistDriver}. */
  readonly binary: string;
  /** Node name, unique in the cluster, e.g. `m3`. */
  readonly name: string;
  /** Private port to bind on 127.0.0.1 (UDP and TCP). */
  readonly bindPort: number;
  /** Public port others use (the proxy's). @default bindPort */
  readonly advertisePort?: number;
  /** host:port of members to join; empty for the first member. @default [] */
  readonly join?: readonly string[];
  /** memberlist's base configuration. @default "lan" */
  readonly preset?: MemberlistPreset;
  /** Overrides of the preset. @default {} */
  readonly tuning?: MemberlistTuning;
  /** Called with every event, in the order the driver wrote them. */
  readonly onEvent?: (event: MemberlistEvent) => void;
  /** Report every log line as a `log` event, not only WARN and ERR. @default false */
  readonly logAll?: boolean;
  /** Where the driver's stderr goes. @default "inherit" */
  readonly stderr?: "inherit" | "null";
  /**
   * Tie the process to this one (`setpriv --pdeathsig KILL`, a session of its
   * own; see `../os/tethered.ts`): it dies with the harness even when stopped. @default false
   */
  readonly tethered?: boolean;
}

/** A running memberlist member. */
export interface MemberlistMember {
  /** Node name. */
  readonly name: string;
  /** The driver process (stdin and stdout are owned by this object). */
  readonly child: Deno.ChildProcess;
  /** Resolves with the `ready` event (after create and join); rejects if the process ends first. */
  readonly ready: Promise<MemberlistEvent>;
  /** Resolves when the process has ended and its output has been read. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** memberlist's table now, with states (the stdin command `members`). */
  members(): Promise<readonly MemberlistMemberState[]>;
  /** Sends a signal (e.g. SIGKILL for a crash, SIGSTOP for a freeze); ignored once ended. */
  kill(signal?: Deno.Signal): void;
  /** Broadcasts a graceful leave, then the driver exits (the stdin command `leave`). */
  leave(): Promise<Deno.CommandStatus>;
  /** Closes stdin (the driver exits without a leave), waits, and SIGKILLs after `timeoutMs`. */
  close(timeoutMs?: number): Promise<Deno.CommandStatus>;
}

function parseEvent(line: string): MemberlistEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const e = value as Partial<MemberlistEvent>;
  return typeof e.t === "number" && typeof e.mono === "number" && typeof e.kind === "string"
    ? e as MemberlistEvent
    : undefined;
}

/** Starts one memberlist member process (see {@linkcode MemberlistMemberOptions}). */
export function spawnMemberlistMember(opts: MemberlistMemberOptions): MemberlistMember {
  const args = [
    `-name=${opts.name}`,
    `-bind-port=${opts.bindPort}`,
    `-advertise-port=${opts.advertisePort ?? opts.bindPort}`,
    `-join=${(opts.join ?? []).join(",")}`,
    `-preset=${opts.preset ?? "lan"}`,
    ...(opts.logAll ? ["-log-all"] : []),
    ...memberlistTuningArgs(opts.tuning ?? {}),
  ];
  const { command, ...spawnAs } = opts.tethered ? tetheredCommand(opts.binary, args) : { command: opts.binary, args };
  const child = new Deno.Command(command, {
    ...spawnAs,
    stdin: "piped",
    stdout: "piped",
    stderr: opts.stderr ?? "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const pendingMembers: {
    resolve: (members: readonly MemberlistMemberState[]) => void;
    reject: (error: Error) => void;
  }[] = [];
  let readyEvent: MemberlistEvent | undefined;
  let resolveReady: (e: MemberlistEvent) => void = () => {};
  const ready = new Promise<MemberlistEvent>((resolve) => resolveReady = resolve);

  const pump = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const event = parseEvent(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (event === undefined) continue;
        if (event.kind === "ready") {
          readyEvent = event;
          resolveReady(event);
        }
        if (event.kind === "members") pendingMembers.shift()?.resolve(event.members ?? []);
        opts.onEvent?.(event);
      }
    }
  })();
  const exited = (async () => {
    const [status] = await Promise.all([child.status, pump]);
    for (const waiting of pendingMembers.splice(0)) {
      waiting.reject(new Error(`memberlist member ${opts.name} ended (code ${status.code}) before answering members`));
    }
    return status;
  })();
  let closed = false;
  const closeStdin = async () => {
    if (closed) return;
    closed = true;
    await writer.close().catch(() => {});
  };
  // Whatever happens to the process, stdin is closed once it has ended.
  const settled = exited.finally(closeStdin);
  const readyOrExit = Promise.race([
    ready,
    settled.then((status) => {
      if (readyEvent !== undefined) return readyEvent;
      throw new Error(`memberlist member ${opts.name} ended (code ${status.code}) before it was ready`);
    }),
  ]);
  readyOrExit.catch(() => {}); // callers that never await ready must not see an unhandled rejection

  const send = async (command: string) => {
    if (closed) throw new Error(`memberlist member ${opts.name}: stdin is closed`);
    await writer.write(encoder.encode(command + "\n"));
  };
  const kill = (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // already ended
    }
  };
  const close = async (timeoutMs = 5_000) => {
    await closeStdin();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
    const ended = await Promise.race([settled.then(() => true), timeout.then(() => false)]);
    clearTimeout(timer);
    if (!ended) kill("SIGKILL");
    return await settled;
  };

  return {
    name: opts.name,
    child,
    ready: readyOrExit,
    exited: settled,
    members: () =>
      new Promise((resolve, reject) => {
        const waiting = { resolve, reject };
        pendingMembers.push(waiting);
        send("members").catch((error) => {
          const index = pendingMembers.indexOf(waiting);
          if (index >= 0) pendingMembers.splice(index, 1);
          reject(error);
        });
      }),
    kill,
    leave: async () => {
      await send("leave");
      return await close(15_000);
    },
    close,
  };
}
