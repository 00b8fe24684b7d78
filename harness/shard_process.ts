/**
 * Process entry of a shard (see `shard_host.ts`): one JSON message per line
 * on stdin and stdout. Exits when stdin closes, so it never outlives the
 * harness. Being a process, it can be paused for real with SIGSTOP.
 *
 * @module
 */

import { serveShard } from "./shard_host.ts";
import type { ToShard } from "./shard_protocol.ts";

const encoder = new TextEncoder();

/** Writes every byte (a pipe may take a large message in several writes). */
function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}
const deliver = serveShard(
  (message) => writeAll(encoder.encode(JSON.stringify(message) + "\n")),
  () => setTimeout(() => Deno.exit(0), 0),
);

let pending = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  pending += chunk;
  let newline: number;
  while ((newline = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    if (line.trim() !== "") deliver(JSON.parse(line) as ToShard);
  }
}
Deno.exit(0);
