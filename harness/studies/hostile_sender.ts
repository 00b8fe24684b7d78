/**
 * Worker entry for `hostile.ts`: a sender outside the run, with UDP
 * sockets of its own, that blasts seeded hostile datagrams
 * (`hostile_datagrams.ts`) at the members' private ports and the proxy's
 * public ports at a paced rate until a given instant, counting what the
 * kernel took for each kind of port.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { loopbackId } from "../../lib/core/member_id.ts";
import { seededPrng } from "../../lib/core/prng.ts";
import { absNowMs } from "../os/clock.ts";
import { bindUdp, boundPort } from "../net/udp_transport.ts";
import { HOSTILE_CATEGORIES, type HostileCategory, HostileDatagrams } from "./hostile_datagrams.ts";

/** What the coordinator asks. */
export type HostileSenderRequest =
  | { readonly type: "bind"; readonly sockets: number }
  | {
    readonly type: "send";
    readonly seed: number;
    /** Datagrams per second, over every port. */
    readonly rate: number;
    /** Stop at this absolute instant (epoch ms). */
    readonly untilAbsMs: number;
    /** Members' private ports. */
    readonly privatePorts: readonly number[];
    /** The proxy's public ports (one per member). */
    readonly publicPorts: readonly number[];
    /** Fraction of datagrams aimed at private ports (the rest at public ones). */
    readonly privateShare: number;
  };

/** What the sender answers. */
export type HostileSenderReply =
  | { readonly type: "bound"; readonly ports: readonly number[] }
  | { readonly type: "done"; readonly report: HostileSendReport };

/** What the sender sent: datagrams the kernel took, by destination and by category. */
export interface HostileSendReport {
  /** Datagrams sent to members' private ports. */
  readonly toPrivate: number;
  /** Datagrams sent to the proxy's public ports. */
  readonly toPublic: number;
  /** Payload bytes sent. */
  readonly bytes: number;
  /** Sends that failed. */
  readonly errors: number;
  /** Datagrams by category. */
  readonly byCategory: Readonly<Record<HostileCategory, number>>;
  /** Largest datagram sent (bytes). */
  readonly largestBytes: number;
  /** Real seconds spent sending. */
  readonly seconds: number;
}

let sockets: Deno.DatagramConn[] = [];

self.onmessage = async (event: MessageEvent<HostileSenderRequest>) => {
  const m = event.data;
  if (m.type === "bind") {
    sockets = Array.from({ length: m.sockets }, () => bindUdp());
    self.postMessage({ type: "bound", ports: sockets.map(boundPort) } satisfies HostileSenderReply);
    return;
  }
  const rng = seededPrng(m.seed);
  // Contents name the group's own public addresses (declared dead, suspected, at the largest incarnations) too.
  const source = new HostileDatagrams(rng, m.publicPorts.map(loopbackId));
  const byCategory = Object.fromEntries(HOSTILE_CATEGORIES.map((c) => [c, 0])) as Record<HostileCategory, number>;
  let toPrivate = 0, toPublic = 0, bytesSent = 0, errors = 0, largest = 0, sent = 0;
  const start = absNowMs();
  // Pace in 2 ms slices: send what is due, then yield.
  while (absNowMs() < m.untilAbsMs) {
    const due = Math.floor(((absNowMs() - start) / 1000) * m.rate);
    const pending: Promise<void>[] = [];
    while (sent < due) {
      const { bytes, category } = source.next();
      const toPrivatePort = rng() < m.privateShare;
      const ports = toPrivatePort ? m.privatePorts : m.publicPorts;
      const port = ports[Math.floor(rng() * ports.length)]!;
      const socket = sockets[sent % sockets.length]!;
      sent++;
      pending.push(
        socket.send(bytes, { transport: "udp", hostname: "127.0.0.1", port }).then(
          () => {
            if (toPrivatePort) toPrivate++;
            else toPublic++;
            byCategory[category]++;
            bytesSent += bytes.length;
            largest = Math.max(largest, bytes.length);
          },
          () => {
            errors++;
          },
        ),
      );
    }
    await Promise.all(pending);
    await new Promise((r) => setTimeout(r, 2));
  }
  for (const s of sockets) s.close();
  const report: HostileSendReport = {
    toPrivate,
    toPublic,
    bytes: bytesSent,
    errors,
    byCategory,
    largestBytes: largest,
    seconds: (absNowMs() - start) / 1000,
  };
  self.postMessage({ type: "done", report } satisfies HostileSenderReply);
};
