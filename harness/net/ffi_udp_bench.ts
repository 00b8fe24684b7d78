// deno-lint-ignore-file no-console
/**
 * CPU cost per datagram of Deno's UDP API against {@linkcode UdpSocketSet}
 * (libc through FFI, batched syscalls). Standalone:
 *
 * ```sh
 * deno run --allow-ffi --allow-net=127.0.0.1 --allow-run --allow-read --allow-env \
 *   harness/net/ffi_udp_bench.ts all --runs 3   # everything, medians of 3 runs (~2.5 min)
 * deno run … ffi_udp_bench.ts pingpong --impl ffi --window 64 --count 50000
 * deno run … ffi_udp_bench.ts relay --impl ffi --coalesce 1000 --sockets 500 --rates 10000,40000 --seconds 2
 * ```
 *
 * - `pingpong`: two sockets in one process; A keeps `window` datagrams in
 *   flight to B, B echoes each back. CPU µs per datagram = process CPU
 *   (all threads) / datagrams received (each one a send plus a receive).
 *   Impls: `deno` (`Deno.listenDatagram`, receive loop, awaited send),
 *   `ffi` (`FfiUdpTransport.post`, no promise), `ffi-tracked`
 *   (`FfiUdpTransport.send`, a promise per datagram, as `MemberHost` uses
 *   it today).
 * - `relay`: this process relays like the proxy, `sockets` public sockets;
 *   a child process (FFI set, `sockets` member sockets, `sendmmsg`) offers
 *   `rate` datagrams/s from member i to the public port of member j, and
 *   the relay sends it from public port i to member j. Impls: `deno` (the
 *   real `UdpProxy`, no rule) or `ffi` (a minimal relay on a set: source
 *   lookup, counters, send). Reports relayed rate, loss, kernel drops,
 *   relay CPU µs per relayed datagram, the members' CPU per relayed
 *   datagram (send + receive) and one-way latency member → relay → member.
 *   `--coalesce` and `--repoll` set `coalesceUs` and `repollBudgetUs` of
 *   the FFI sets (relay and members alike).
 * - `all`: both, medians of `--runs` runs; FFI rows with the defaults, with
 *   re-polling off (`rp0`/`repoll0`, what re-polling buys) and, given
 *   `--coalesce N`, with coalescing.
 *
 * `FFI_BENCH_DEBUG=1` prints the FFI relay set's totals (wakeups, re-polls,
 * syscalls) to stderr when it closes.
 *
 * @module
 */

import { members } from "./_ffi_bench_members.ts";
import { type PingPong, pingPong } from "./_ffi_bench_pingpong.ts";
import { relay, type RelayStep } from "./_ffi_bench_relay.ts";
import type { Tuning } from "./_ffi_bench_common.ts";

function flag(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1]! : fallback;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
};

const fmt = (x: number, d = 1) => Number.isFinite(x) ? x.toFixed(d) : "-";

async function main(args: string[]): Promise<void> {
  const mode = args[0] ?? "all";
  const size = Number(flag(args, "size", "200"));
  const tuning: Tuning = {
    coalesceUs: Number(flag(args, "coalesce", "0")),
    repollBudgetUs: Number(flag(args, "repoll", "1000")),
  };
  if (mode === "members") return members(Number(flag(args, "sockets", "500")), size, tuning);
  if (mode === "pingpong") {
    const r = await pingPong(
      flag(args, "impl", "ffi"),
      Number(flag(args, "window", "64")),
      Number(flag(args, "count", "50000")),
      size,
      tuning,
    );
    console.log(JSON.stringify(r));
    return;
  }
  const sockets = Number(flag(args, "sockets", "500"));
  const rates = flag(args, "rates", "10000,20000,40000,60000,80000").split(",").map(Number);
  const seconds = Number(flag(args, "seconds", "2"));
  if (mode === "relay") {
    for (const s of await relay(flag(args, "impl", "ffi"), sockets, rates, seconds, size, tuning)) {
      console.log(JSON.stringify(s));
    }
    return;
  }
  // all: medians of `runs` runs; relay with Deno's API, FFI without and with
  // re-polling, and FFI with coalescing when `--coalesce` is given.
  const coalesceAll = Number(flag(args, "coalesce", "0"));
  const runs = Number(flag(args, "runs", "3"));
  const count = Number(flag(args, "count", "30000"));
  console.log(`pingpong, ${size}-byte datagrams, ${count} round trips, median of ${runs}`);
  console.log("impl         window  cpu µs/dgram  wall µs/dgram  dgram/s");
  for (const window of [1, 64]) {
    const variants = [
      { label: "deno", impl: "deno", tuning },
      { label: "ffi repoll0", impl: "ffi", tuning: { ...tuning, repollBudgetUs: 0 } },
      { label: "ffi", impl: "ffi", tuning },
      { label: "ffi-tracked", impl: "ffi-tracked", tuning },
    ];
    for (const { label, impl, tuning } of variants) {
      const rs: PingPong[] = [];
      for (let i = 0; i < runs; i++) {
        rs.push(await pingPong(impl, window, window === 1 ? count / 3 : count, size, tuning));
      }
      console.log(
        `${label.padEnd(12)} ${String(window).padStart(6)}  ${
          fmt(median(rs.map((r) => r.cpuUsPerDatagram)), 2).padStart(12)
        }` +
          `  ${fmt(median(rs.map((r) => r.wallUsPerDatagram)), 2).padStart(13)}  ${
            fmt(median(rs.map((r) => r.datagramsPerSec)), 0).padStart(7)
          }`,
      );
    }
  }
  console.log(`\nrelay, ${sockets} sockets, ${size}-byte datagrams, ${seconds} s per rate, median of ${runs}`);
  console.log(
    "impl       offered  relayed/s  loss%  relay-drops  member-drops  relay µs/dg  members µs/dg  e2e µs/dg  p50 ms  p99 ms",
  );
  const configs = [
    { label: "deno", impl: "deno", tuning: { ...tuning, coalesceUs: 0 } },
    { label: "ffi rp0", impl: "ffi", tuning: { coalesceUs: 0, repollBudgetUs: 0 } },
    { label: "ffi", impl: "ffi", tuning: { ...tuning, coalesceUs: 0 } },
    ...(coalesceAll > 0
      ? [{ label: `ffi c${coalesceAll}`, impl: "ffi", tuning: { ...tuning, coalesceUs: coalesceAll } }]
      : []),
  ];
  for (const { label, impl, tuning } of configs) {
    const all: RelayStep[][] = [];
    for (let i = 0; i < runs; i++) {
      all.push(await relay(impl, sockets, rates, seconds, size, tuning));
    }
    rates.forEach((rate, k) => {
      const col = (f: (s: RelayStep) => number) => median(all.map((steps) => f(steps[k]!)));
      console.log(
        [
          label.padEnd(9),
          String(rate).padStart(7),
          fmt(col((s) => s.relayedPerSec), 0).padStart(9),
          fmt(col((s) => s.lossPct), 2).padStart(6),
          fmt(col((s) => s.relayDrops), 0).padStart(11),
          fmt(col((s) => s.memberDrops), 0).padStart(12),
          fmt(col((s) => s.relayCpuUsPerDatagram), 2).padStart(11),
          fmt(col((s) => s.memberCpuUsPerDatagram), 2).padStart(13),
          fmt(col((s) => s.endToEndCpuUsPerDatagram), 2).padStart(9),
          fmt(col((s) => s.p50Ms), 2).padStart(6),
          fmt(col((s) => s.p99Ms), 2).padStart(6),
        ].join("  "),
      );
    });
  }
}

if (import.meta.main) await main(Deno.args);
