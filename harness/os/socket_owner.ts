/**
 * Which process opened a loopback TCP connection. memberlist and Serf dial
 * without choosing a local address, so a connection reaches the proxy from
 * an ephemeral port that says nothing about who dialled. The kernel knows:
 * `/proc/net/tcp` lists every socket with its inode, and the inode appears
 * as `socket:[inode]` among the file descriptors (`/proc/<pid>/fd`) of the
 * process that holds it. Given the process id of each member, the dialling
 * socket's inode names the member.
 *
 * Reads `/proc` through libc (`procfs.ts`: Deno's own file API would need
 * `--allow-all`), so it needs `--allow-ffi` and the members' processes to
 * belong to the same user.
 *
 * @module
 */

import { processFdTargets, readProcFile } from "./procfs.ts";

/** The IPv4 and IPv6 TCP socket tables. */
const TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];

/**
 * The inode of the loopback socket whose local port is `localPort` and
 * remote port `remotePort`, or undefined when none is listed (IPv4 table
 * first, then IPv6's v4-mapped sockets).
 */
export function socketInode(localPort: number, remotePort: number): number | undefined {
  for (const table of TABLES) {
    const text = readProcFile(table);
    if (text === null) continue;
    const inode = inodeIn(text, localPort, remotePort);
    if (inode !== undefined) return inode;
  }
  return undefined;
}

/** The inode of the row of a `/proc/net/tcp{,6}` table with these ports (pure; exported for tests). */
export function inodeIn(table: string, localPort: number, remotePort: number): number | undefined {
  const local = `:${hexPort(localPort)}`;
  const remote = `:${hexPort(remotePort)}`;
  for (const line of table.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    if (fields.length < 10 || !fields[1]!.endsWith(local) || !fields[2]!.endsWith(remote)) continue;
    const inode = Number(fields[9]);
    if (Number.isInteger(inode) && inode > 0) return inode;
  }
  return undefined;
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, "0");
}

/** Whether process `pid` holds the socket `inode` among its file descriptors. */
function holds(pid: number, inode: number): boolean {
  return processFdTargets(pid).includes(`socket:[${inode}]`);
}

/**
 * Finds the member that opened a connection, from the process id of each
 * member (null for a member with no process now, e.g. killed). The lookup
 * is made once more after `retryMs` when it fails, for a connection opened
 * by a member restarted a moment before its new process id arrived.
 */
export class SocketOwners {
  #pids: readonly (number | null)[] = [];
  readonly #retryMs: number;

  /** Owners with no process known yet. */
  constructor(retryMs = 100) {
    this.#retryMs = retryMs;
  }

  /** Sets the process id of each member, by member index. */
  setPids(pids: readonly (number | null)[]): void {
    this.#pids = [...pids];
  }

  /** Whether any member's process is known (without, nothing can be identified). */
  get known(): boolean {
    return this.#pids.some((p) => p !== null);
  }

  /**
   * The index of the member whose process holds the socket that dialled
   * from `clientPort` to `serverPort` (both on loopback), or undefined.
   */
  async identify(clientPort: number, serverPort: number): Promise<number | undefined> {
    if (!this.known) return undefined;
    const found = this.#lookup(clientPort, serverPort);
    if (found !== undefined || this.#retryMs <= 0) return found;
    await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    return this.#lookup(clientPort, serverPort);
  }

  #lookup(clientPort: number, serverPort: number): number | undefined {
    const inode = socketInode(clientPort, serverPort);
    if (inode === undefined) return undefined;
    const pids = this.#pids;
    for (let i = 0; i < pids.length; i++) {
      const pid = pids[i];
      if (pid !== null && pid !== undefined && holds(pid, inode)) return i;
    }
    return undefined;
  }
}
