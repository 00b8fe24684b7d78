/**
 * Worker entry for `proxy_cost.ts`: sends timestamped datagrams at a paced
 * rate from a few sockets, so the sender does not share an event loop
 * with the receiver.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { absNowMs } from "../os/clock.ts";
import { bindUdp, boundPort } from "../net/udp_transport.ts";

interface Job {
  readonly ports: readonly number[];
  readonly rate: number;
  readonly seconds: number;
  readonly size: number;
}

let sockets: Deno.DatagramConn[] = [];

self.onmessage = async (event: MessageEvent<{ type: "bind"; count: number } | ({ type: "send" } & Job)>) => {
  const m = event.data;
  if (m.type === "bind") {
    sockets = Array.from({ length: m.count }, () => bindUdp());
    self.postMessage({ type: "bound", ports: sockets.map(boundPort) });
    return;
  }
  const start = absNowMs();
  const end = start + m.seconds * 1000;
  let sent = 0;
  let errors = 0;
  const payload = new Uint8Array(m.size);
  const view = new DataView(payload.buffer);
  // Pace in 1 ms slices: send what is due, then yield.
  while (absNowMs() < end) {
    const due = Math.floor(((absNowMs() - start) / 1000) * m.rate);
    const pending: Promise<number>[] = [];
    while (sent < due) {
      const k = sent % sockets.length;
      view.setUint32(0, sent);
      view.setFloat64(4, absNowMs());
      pending.push(
        sockets[k]!.send(payload.slice(), {
          transport: "udp",
          hostname: "127.0.0.1",
          port: m.ports[k % m.ports.length]!,
        }),
      );
      sent++;
      if (pending.length >= 64) {
        await Promise.all(pending).catch(() => errors++);
        pending.length = 0;
      }
    }
    await Promise.all(pending).catch(() => errors++);
    await new Promise((r) => setTimeout(r, 1));
  }
  for (const s of sockets) s.close();
  self.postMessage({ type: "done", sent, errors, seconds: (absNowMs() - start) / 1000 });
};
