/**
 * The members of `ffi_udp_bench.ts`'s relay case, in the child process it
 * spawns: member sockets in one FFI set, paced sending through the relay,
 * timestamped receive, driven by JSON lines on stdin and answering on
 * stdout. Private to `harness/net/`.
 *
 * @module
 */

import { readProcUdpDrops, UdpSocketSet } from "./ffi_udp.ts";
import { cpuMs, sum, type Tuning } from "./_ffi_bench_common.ts";

/** The child: `sockets` member sockets in one FFI set, paced blasting, timestamped receive. */
export async function members(sockets: number, tuning: Tuning): Promise<void> {
  const set = UdpSocketSet.open(tuning);
  const handles = Array.from({ length: sockets }, () => set.bind(0));
  const out = (v: unknown) => Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(v) + "\n"));
  out({ ports: handles.map((h) => set.port(h)) });
  let samples = new Float64Array(0);
  let received = 0;
  set.start((_h, _from, bytes) => {
    const sentAt = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
    if (received < samples.length) samples[received] = performance.now() - sentAt;
    received++;
  });
  let publicPorts: number[] = [];
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).values();
  let pending = "";
  for (;;) {
    const nl = pending.indexOf("\n");
    if (nl < 0) {
      const next = await lines.next();
      if (next.done) break;
      pending += next.value;
      continue;
    }
    const msg = JSON.parse(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    if (msg.quit) break;
    if (msg.publicPorts) {
      publicPorts = msg.publicPorts;
      out({ ok: true });
      continue;
    }
    const { rate, seconds, size } = msg as { rate: number; seconds: number; size: number };
    const total = Math.round(rate * seconds);
    samples = new Float64Array(total);
    received = 0;
    const payload = new Uint8Array(size);
    const view = new DataView(payload.buffer);
    const dropsBefore = sum(readProcUdpDrops(set.ports()));
    const c0 = cpuMs();
    const t0 = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.min(total, Math.floor(rate * (now - t0) / 1000));
        for (; sent < due; sent++) {
          const i = sent % sockets;
          const j = (i + 1 + (sent * 7919) % (sockets - 1)) % sockets;
          view.setFloat64(0, performance.now(), true);
          set.send(handles[i]!, publicPorts[j]!, payload);
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await new Promise((r) => setTimeout(r, 300));
    const cpu = cpuMs() - c0;
    const got = samples.subarray(0, Math.min(received, total)).sort();
    const q = (p: number) => got.length ? got[Math.min(got.length - 1, Math.floor(p * got.length))]! : NaN;
    out({
      sent,
      received,
      cpuMs: cpu,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      drops: sum(readProcUdpDrops(set.ports())) - dropsBefore,
    });
  }
  await set.closeAll();
}
