/**
 * Process entry of a shard (see `shard_host.ts`): one JSON message per line
 * on stdin and stdout. Exits when stdin closes, so it never outlives the
 * harness. Being a process, it can be paused for real with SIGSTOP.
 *
 * @module
 */

import { forEachLine, leaveParentGroup, writeLineSync } from "../os/child.ts";
import { serveShard } from "./shard_host.ts";

leaveParentGroup();

const deliver = serveShard(writeLineSync, () => Deno.exit(0));
await forEachLine(Deno.stdin.readable, (line) => deliver(JSON.parse(line)));
Deno.exit(0);
