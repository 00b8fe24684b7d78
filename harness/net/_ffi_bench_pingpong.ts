/**
 * The ping-pong case of `ffi_udp_bench.ts`: two sockets in one process, A
 * keeps `window` datagrams in flight to B, B echoes each back; CPU per
 * datagram with Deno's UDP API or a `UdpSocketSet`. Private to
 * `harness/net/`.
 *
 * @module
 */

import { FfiUdpTransport, UdpSocketSet } from "./ffi_udp.ts";
import { loopbackId } from "../../lib/core/member_id.ts";
import { cpuMs, type Tuning } from "./_ffi_bench_common.ts";

/** One ping-pong run. */
export interface PingPong {
  impl: string;
  window: number;
  datagrams: number;
  cpuUsPerDatagram: number;
  wallUsPerDatagram: number;
  datagramsPerSec: number;
}

export async function pingPong(
  impl: string,
  window: number,
  count: number,
  size: number,
  tuning: Tuning,
): Promise<PingPong> {
  const payload = new Uint8Array(size).fill(7);
  let received = 0;
  const done = Promise.withResolvers<void>();
  let c0 = 0, t0 = 0;
  if (impl === "deno") {
    const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const toA = a.addr as Deno.NetAddr, toB = b.addr as Deno.NetAddr;
    let sent = 0;
    const loop = async (conn: Deno.DatagramConn, onReceive: (bytes: Uint8Array) => Promise<unknown> | void) => {
      const buf = new Uint8Array(65536);
      try {
        for (;;) {
          const [bytes] = await conn.receive(buf);
          await onReceive(bytes);
        }
      } catch {
        // closed
      }
    };
    const la = loop(a, () => {
      received++;
      if (received === count) done.resolve();
      if (sent < count) {
        sent++;
        return a.send(payload, toB);
      }
    });
    const lb = loop(b, (bytes) => b.send(bytes, toA));
    c0 = cpuMs(), t0 = performance.now();
    for (let i = 0; i < window; i++, sent++) a.send(payload, toB);
    await done.promise;
    const cpu = cpuMs() - c0, wall = performance.now() - t0;
    a.close(), b.close();
    await Promise.all([la, lb]);
    return result(cpu, wall);
  }
  const set = UdpSocketSet.open({ rcvbufBytes: 1 << 20, ...tuning });
  const tracked = impl === "ffi-tracked";
  const ta = FfiUdpTransport.bind(set), tb = FfiUdpTransport.bind(set);
  const idA = loopbackId(ta.localPort), idB = loopbackId(tb.localPort);
  let sent = 0;
  const sendA = tracked ? () => void ta.send(idB, payload) : () => ta.post(idB, payload);
  ta.listen(() => {
    received++;
    if (received === count) done.resolve();
    if (sent < count) {
      sent++;
      sendA();
    }
  });
  tb.listen((_from, bytes) => tracked ? void tb.send(idA, bytes) : tb.post(idA, bytes));
  c0 = cpuMs(), t0 = performance.now();
  for (let i = 0; i < window; i++, sent++) sendA();
  await done.promise;
  const cpu = cpuMs() - c0, wall = performance.now() - t0;
  await set.closeAll();
  return result(cpu, wall);

  function result(cpu: number, wall: number): PingPong {
    const n = 2 * received; // every datagram A received was sent by B, and B received one from A for each
    return {
      impl,
      window,
      datagrams: n,
      cpuUsPerDatagram: cpu * 1000 / n,
      wallUsPerDatagram: wall * 1000 / n,
      datagramsPerSec: n / wall * 1000,
    };
  }
}
