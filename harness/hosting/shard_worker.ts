/**
 * Web Worker entry of a shard (see `shard_host.ts`).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { serveShard } from "./shard_host.ts";
import type { ToShard } from "./shard_protocol.ts";

const deliver = serveShard((message) => self.postMessage(message), () => self.close());
self.onmessage = (event: MessageEvent<ToShard>) => deliver(event.data);
