// Micro-benchmarks of the SWIM detector's per-call cost (`deno bench tests/swim_bench.ts`): a group of
// GROUP detectors, each knowing all n members, driven directly in a steady state. The other n - GROUP
// members are stubs: a ping to one is acked at once, and each period one of them pings the member that
// just ticked, carrying one fresh "alive" update (so the piggyback queue is never empty).
//
// A step of the group: the member with the earliest deadline ticks and its sends are delivered at once.
// Each iteration runs STEPS steps and times one call in the last (deno bench ignores b.start()/b.end()
// and times whole iterations, many at once, when an iteration takes under 10 us; so the untimed steps
// keep every iteration above that):
//   tick()            the tick of that step (a probe period: the ping, gossip if due),
//   receive()         the stub's ping with one update (apply, then an ack with piggybacked updates),
//   nextDeadlineMs()  the driver's scan of all GROUP detectors (per call: divide by GROUP).
//
// State bytes per detector: run with `--v8-flags=--expose-gc` and the file prints the heap growth per
// detector (heap used plus array buffers, after a full GC) at each n.
//
// Measured on the 2-core dev VM against the original implementation (best of 3 runs, plain SWIM;
// per call, before -> after): tick n=100/1000/10000 9.6/32/152 us -> 2.3/2.3/2.1 us; receive
// 6.0/19/8.9 us -> 2.0/3.9/3.1 us; nextDeadlineMs 307 ns/4.4 us/53 us -> 13/14/13 ns; state
// 33 KB/296 KB/3.1 MB -> 11 KB/57 KB/650 KB a detector.
import { MessageKind } from "../lib/core/wire.ts";
import type { Detector, Send } from "../lib/core/detector.ts";
import { type MemberId, memberId } from "../lib/core/member_id.ts";
import { type Prng, seededPrng } from "../lib/core/prng.ts";
import { decodeSwim, encodeSwim, SwimStatus } from "../lib/swim/codec.ts";
import { createSwimDetector, type SwimOptions } from "../lib/swim/detector.ts";

/** Detectors driven per group. */
export const GROUP = 32;
/** Steps per bench iteration (one of them timed). */
const STEPS = 6;
const SIZES = [100, 1000, 10_000] as const;

type Factory = (options: SwimOptions) => Detector;
// The original implementation ran here as "before" (commit ddd6d13 has it as tests/_swim_reference.ts);
// add it back to compare.
const IMPLS: Record<string, Factory> = {
  after: createSwimDetector,
};
const VARIANTS: Record<string, Partial<SwimOptions>> = {
  swim: {},
  "lifeguard+gossip": { lifeguard: true, gossipIntervalMs: 200, gossipNodes: 3 },
};

/** n member ids; more than 65535 would need a second address. */
function idsFor(n: number): MemberId[] {
  return Array.from({ length: n }, (_, i) => memberId(0x7f000001 + Math.floor(i / 60_000), 1 + (i % 60_000)));
}

/** A steady group: the detectors, a bench-side randomness and the stubs' incarnations. */
class Group {
  readonly detectors: Detector[];
  readonly byId = new Map<MemberId, Detector>();
  readonly ids: MemberId[];
  readonly rng: Prng = seededPrng(99);
  readonly incarnations: Uint32Array;
  now = 0;

  constructor(factory: Factory, n: number, extra: Partial<SwimOptions>) {
    this.ids = idsFor(n);
    this.incarnations = new Uint32Array(n);
    this.detectors = this.ids.slice(0, GROUP).map((self, i) =>
      factory({ self, members: this.ids, rng: seededPrng(1000 + i), startMs: 0, ...extra })
    );
    for (const d of this.detectors) this.byId.set(d.id, d);
    for (let k = 0; k < 4 * GROUP; k++) this.step();
  }

  /** Earliest deadline among the group, and whose. */
  scan(): Detector {
    let best = this.detectors[0]!;
    let at = Infinity;
    for (const d of this.detectors) {
      const t = d.nextDeadlineMs()!;
      if (t < at) [at, best] = [t, d];
    }
    this.now = at;
    return best;
  }

  /** The stub ping of this step: from a random stub, with one fresh alive update about another. */
  stubPing(): { from: MemberId; bytes: Uint8Array } {
    const n = this.ids.length;
    const from = this.ids[GROUP + Math.floor(this.rng() * (n - GROUP))]!;
    const about = GROUP + Math.floor(this.rng() * (n - GROUP));
    const incarnation = ++this.incarnations[about]!;
    return {
      from,
      bytes: encodeSwim({
        kind: MessageKind.SwimPing,
        seq: 1,
        target: 0,
        updates: [{ member: this.ids[about]!, incarnation, status: SwimStatus.Alive }],
      }),
    };
  }

  /** Delivers sends at once: to a detector of the group, or a stub's ack to a ping. */
  deliver(from: Detector, sends: readonly Send[]): void {
    for (const s of sends) {
      const to = this.byId.get(s.to);
      if (to) {
        this.deliver(to, to.receive(from.id, s.bytes, this.now).sends);
      } else if (s.bytes[1] === MessageKind.SwimPing) {
        const seq = decodeSwim(s.bytes).seq;
        const ack = encodeSwim({ kind: MessageKind.SwimAck, seq, target: 0, updates: [] });
        this.deliver(from, from.receive(s.to, ack, this.now).sends);
      }
    }
  }

  /** One step; `timed` names the call wrapped in `b.start()`/`b.end()`. */
  step(b?: Deno.BenchContext, timed?: "tick" | "receive" | "nextDeadlineMs"): void {
    if (timed === "nextDeadlineMs") b!.start();
    const d = this.scan();
    if (timed === "nextDeadlineMs") b!.end();
    if (timed === "tick") b!.start();
    const ticked = d.tick(this.now);
    if (timed === "tick") b!.end();
    this.deliver(d, ticked.sends);
    const ping = this.stubPing();
    if (timed === "receive") b!.start();
    d.receive(ping.from, ping.bytes, this.now);
    if (timed === "receive") b!.end();
  }
}

// One group alive at a time (benches run in registration order): at n = 10 000 the old code holds
// several MB per detector.
let current: { key: string; group: Group } | undefined;
function groupFor(impl: string, variant: string, n: number): Group {
  const key = `${impl}/${variant}/${n}`;
  if (current?.key !== key) {
    current = undefined;
    current = { key, group: new Group(IMPLS[impl]!, n, VARIANTS[variant]!) };
  }
  return current.group;
}

for (const variant of Object.keys(VARIANTS)) {
  for (const n of SIZES) {
    for (const impl of Object.keys(IMPLS)) {
      for (const op of ["tick", "receive", "nextDeadlineMs"] as const) {
        Deno.bench({
          name: `${op}${op === "nextDeadlineMs" ? ` x${GROUP}` : ""} ${variant} n=${n} ${impl}`,
          group: `${op} ${variant} n=${n}`,
          baseline: impl === "before",
          n: n >= 10_000 && impl === "before" ? 100 : 1000,
          warmup: 20,
          fn(b) {
            const group = groupFor(impl, variant, n);
            for (let k = 1; k < STEPS; k++) group.step();
            group.step(b, op);
          },
        });
      }
    }
  }
}

// State bytes per detector (needs --v8-flags=--expose-gc): heap and array buffers grown by GROUP
// fresh detectors, after a full GC, over the same member list.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  // Array buffers are freed by a background sweeper: collect twice, with a pause, before reading.
  const heap = async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
    const m = Deno.memoryUsage();
    return m.heapUsed + m.external;
  };
  const measure = async (factory: Factory, ids: MemberId[], extra: Partial<SwimOptions>) => {
    const before = await heap();
    const kept = ids.slice(0, GROUP).map((self, i) =>
      factory({ self, members: ids, rng: seededPrng(i), startMs: 0, ...extra })
    );
    const bytes = (await heap() - before) / kept.length;
    kept.length = 0;
    return bytes;
  };
  await measure(createSwimDetector, idsFor(100), {}); // settles the heap
  for (const n of SIZES) {
    const ids = idsFor(n);
    for (const [impl, factory] of Object.entries(IMPLS)) {
      for (const [variant, extra] of Object.entries(VARIANTS)) {
        const bytes = await measure(factory, ids, extra);
        // deno-lint-ignore no-console
        console.log(`state ${impl} ${variant} n=${n}: ${Math.round(bytes)} bytes/detector`);
      }
    }
  }
}
