/**
 * Web Worker entry of a shard (see `shard_host.ts`).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { serveShard } from "./shard_host.ts";

const deliver = serveShard((message) => self.postMessage(message), () => self.close());
self.onmessage = (event: MessageEvent) => deliver(event.data);
