/**
 * The kernel's per-socket UDP receive drop counters, from `/proc/net/udp`.
 *
 * @module
 */

import { readProcFile } from "../os/procfs.ts";

/**
 * The kernel's receive drop counter (`drops` column of `/proc/net/udp`) of
 * each 127.0.0.1 socket bound to one of `ports`, summed per port. Ports
 * with no socket are absent. Reads the file through libc, since Deno only
 * opens `/proc/net/udp` with `--allow-all`: needs `--allow-ffi` only.
 * Costs about a millisecond per thousand sockets in the namespace.
 */
export function readProcUdpDrops(ports: Iterable<number>): Map<number, number> {
  const wanted = new Set(ports);
  const out = new Map<number, number>();
  const text = readProcFile("/proc/net/udp");
  if (text === null) throw new Error("cannot read /proc/net/udp");
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    const local = fields[1]!;
    if (!local.startsWith("0100007F:")) continue;
    const port = parseInt(local.slice(9), 16);
    if (!wanted.has(port)) continue;
    out.set(port, (out.get(port) ?? 0) + Number(fields[12]));
  }
  return out;
}
