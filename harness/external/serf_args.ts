/**
 * What starting a Serf agent takes: the `serf` executable, free loopback
 * ports, the agent's options and the `serf agent` command line built from
 * them.
 *
 * @module
 */

import type { SerfMonitorCallbacks } from "./serf_monitor.ts";

/** memberlist's timing presets, as Serf's `-profile`. */
export const SERF_PROFILES = ["lan", "local", "wan"] as const;
/** One of {@linkcode SERF_PROFILES}. */
export type SerfProfile = typeof SERF_PROFILES[number];

/** The message of the error thrown when no `serf` binary is found. */
export const SERF_INSTALL_HINT =
  "Serf is not installed: no 'serf' executable on PATH. Install it with `apt-get install serf` (Debian package 'serf', as root).";

/** Options of `spawnSerfAgent()` (serf_agent.ts). Every address is on 127.0.0.1. */
export interface SerfAgentOptions extends SerfMonitorCallbacks {
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
   * Tie the agent to this process (`setpriv --pdeathsig KILL`, a session of its
   * own; see `../os/tethered.ts`): it dies with the harness even when stopped.
   * @default {false}
   */
  readonly tethered?: boolean;
  /** Called with the agent's process id as soon as it is spawned (before it answers). */
  readonly onSpawn?: (pid: number) => void;
  /**
   * How long `close()` waits after SIGTERM before SIGKILL (ms).
   * @default {3000}
   */
  readonly stopGraceMs?: number;
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
