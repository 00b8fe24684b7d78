/**
 * The {@linkcode Fleet} of harness-hosted members: shards of members, each
 * in a Web Worker of this process or in a process of its own. Members are
 * split over shards in contiguous blocks; with process hosting, a member
 * that will be paused gets a process of its own, so a pause is a real
 * SIGSTOP of that member alone. Only this file knows the hosting mode.
 *
 * @module
 */

import { Histogram, type HistogramData } from "../../lib/core/histogram.ts";
import { type Channel, processChannel, RpcClient, workerChannel } from "../os/channel.ts";
import { absNowMs } from "../os/clock.ts";
import { SlowCycles } from "./slow_cycles.ts";
import { PortInUseError } from "../net/udp_transport.ts";
import type { Fleet, FleetAction, FleetFinal, FleetSink, FleetTotals, SlowCycle } from "./fleet.ts";
import { FLEET_COUNTERS } from "./fleet.ts";
import type { InitRequest, ShardFinal, ShardReport } from "./shard_protocol.ts";

/** Where shards run: Web Workers in this process, or one process each (pausable with SIGSTOP). */
export type Hosting = "workers" | "processes";

/** Options of {@linkcode ShardFleet}. */
export interface ShardFleetOptions {
  /** Members. */
  readonly members: number;
  /** Shards to split them over. */
  readonly shards: number;
  /** Where shards run. @default {"workers"} */
  readonly hosting?: Hosting;
  /** Members that will be paused (process hosting gives each its own shard). @default {[]} */
  readonly paused?: readonly number[];
  /** The run's seed. */
  readonly seed: number;
  /** Member kind and its resolved settings. */
  readonly kind: string;
  readonly settings: unknown;
  /** Multi-level topology, or null. */
  readonly levels: InitRequest["levels"];
  /** Catastrophe recovery, or null. */
  readonly catastrophe: InitRequest["catastrophe"];
  readonly speedup: number;
  /** First private port (members get consecutive ports), or 0 for any free ports. */
  readonly basePort?: number;
  /** Real ms between stats reports. @default {1000} */
  readonly statsIntervalMs?: number;
  /** Track propagation episodes. @default {null} */
  readonly episodes?: InitRequest["episodes"];
  /** Where events, stats and errors go. */
  readonly sink: FleetSink;
}

/** The member lists of each shard. */
export function shardLayout(members: number, shards: number, alone: readonly number[]): number[][] {
  const rest = Array.from({ length: members }, (_, i) => i).filter((i) => !alone.includes(i));
  const blocks = Math.max(1, Math.min(shards, rest.length));
  const per = Math.ceil(rest.length / blocks);
  return [
    ...Array.from({ length: blocks }, (_, b) => rest.slice(b * per, (b + 1) * per)).filter((l) => l.length > 0),
    ...alone.map((m) => [m]),
  ];
}

interface Shard {
  readonly members: readonly number[];
  readonly rpc: RpcClient;
  readonly channel: Channel;
  readonly child: Deno.ChildProcess | null;
}

/** Shards of harness-hosted members. */
export class ShardFleet implements Fleet {
  readonly size: number;
  privatePorts: number[] = [];
  readonly #o: ShardFleetOptions;
  readonly #layout: number[][];
  readonly #shards: Shard[] = [];
  readonly #stopped = new Set<number>();
  /** Slow members' stop-and-go cycles. */
  readonly #slow: SlowCycles;
  /** Set once the shards are told to stop: a shard that exits after its final answer is not a failure. */
  #ending = false;

  /** A fleet; nothing runs until {@linkcode bind}. */
  constructor(options: ShardFleetOptions) {
    this.#o = options;
    this.size = options.members;
    this.#slow = new SlowCycles(options.speedup, (m, stop) => this.control(m, stop ? "pause" : "resume"));
    const processes = (options.hosting ?? "workers") === "processes";
    this.#layout = shardLayout(options.members, options.shards, processes ? [...new Set(options.paused ?? [])] : []);
  }

  async bind(): Promise<void> {
    const o = this.#o;
    const processes = (o.hosting ?? "workers") === "processes";
    try {
      const bound = await Promise.all(this.#layout.map((members, s) => {
        const rpc = new RpcClient(`shard ${s}`);
        const onMessage = (m: unknown) => {
          if (!rpc.receive(m)) this.#report(m as ShardReport);
        };
        const url = new URL(processes ? "./shard_process.ts" : "./shard_worker.ts", import.meta.url);
        const spawned = processes ? processChannel(url, onMessage) : null;
        const channel = spawned ?? workerChannel(url, onMessage);
        rpc.attach(channel);
        channel.gone.then((reason) => {
          if (!this.#ending) o.sink.onError(new Error(`shard ${s}: ${reason}`));
        });
        this.#shards.push({ members, rpc, channel, child: spawned?.child ?? null });
        const init: InitRequest = {
          op: "init",
          shard: s,
          members,
          ports: members.map((i) => o.basePort ? o.basePort + i : 0),
          seed: o.seed,
          kind: o.kind,
          settings: o.settings,
          levels: o.levels,
          catastrophe: o.catastrophe,
          speedup: o.speedup,
          statsIntervalMs: o.statsIntervalMs ?? 1000,
          episodes: o.episodes ?? null,
        };
        return rpc.call<{ ports: number[] }>({ ...init });
      }));
      this.privatePorts = new Array(this.size).fill(0);
      bound.forEach((reply, s) => this.#layout[s]!.forEach((index, k) => this.privatePorts[index] = reply.ports[k]!));
    } catch (error) {
      await this.terminate();
      const e = error as Error & { port?: number };
      throw e.name === "PortInUseError" ? new PortInUseError(e.port ?? 0) : error;
    }
  }

  async begin(publicIds: readonly number[], startAbsMs: number, broadcastId?: number): Promise<void> {
    await Promise.all(
      this.#shards.map((s) =>
        s.rpc.call({ op: "start", publicIds, startAbsMs, ...(broadcastId !== undefined ? { broadcastId } : {}) })
      ),
    );
  }

  async control(member: number, action: FleetAction, cycle?: SlowCycle): Promise<number> {
    const s = this.#layout.findIndex((list) => list.includes(member));
    if (s < 0) throw new RangeError(`no shard hosts member ${member}`);
    const shard = this.#shards[s]!;
    if (action === "slow") return this.#slow.start(member, cycle!);
    if (action === "fast") return await this.#slow.stop(member);
    if (shard.child && (action === "pause" || action === "resume")) {
      // A process of its own: stop it for real.
      shard.child.kill(action === "pause" ? "SIGSTOP" : "SIGCONT");
      if (action === "pause") this.#stopped.add(s);
      return absNowMs();
    }
    return (await shard.rpc.call<{ atAbsMs: number }>({ op: "control", action, member })).atAbsMs;
  }

  async quiesce(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.rpc.call({ op: "quiesce" })));
  }

  async stop(): Promise<FleetFinal> {
    this.#ending = true;
    const finals = await Promise.all(this.#shards.map((s) => s.rpc.call<ShardFinal>({ op: "stop" })));
    await this.terminate();
    const totals = Object.fromEntries(FLEET_COUNTERS.map((k) => [k, new Array<number>(this.size).fill(0)])) as {
      [K in keyof FleetTotals]: number[];
    };
    finals.forEach((f, s) =>
      this.#layout[s]!.forEach((index, k) => {
        for (const key of FLEET_COUNTERS) {
          totals[key][index] = key === "kernelDrops" ? (f.kernelDrops?.[k] ?? 0) : f.counters[key][k]!;
        }
      })
    );
    const propagation = finals.map((f) => f.propagation).filter((p): p is HistogramData => p !== null);
    return {
      totals,
      latenessByHost: finals.map((f) => f.lateness),
      faultedHosts: [...this.#stopped],
      propagation: propagation.length === 0 ? null : mergeHistograms(propagation),
    };
  }

  async terminate(): Promise<void> {
    this.#ending = true;
    this.#slow.clear();
    await Promise.all(this.#shards.map((s) => s.channel.terminate()));
  }

  #report(m: ShardReport): void {
    const sink = this.#o.sink;
    switch (m.type) {
      case "events":
        sink.onEvents(m.events);
        return;
      case "stats": {
        const members = this.#layout[m.shard]!;
        sink.onStats({
          host: m.shard,
          atAbsMs: m.atAbsMs,
          sentBytes: new Map(members.map((index, k) => [index, m.counters.sentBytes[k]!])),
          sentDatagrams: new Map(members.map((index, k) => [index, m.counters.sentDatagrams[k]!])),
          lateness: m.lateness,
        });
        return;
      }
      case "origins":
        // Every other shard needs the origin to time its observers' learns.
        this.#shards.forEach((s, i) => {
          if (i !== m.shard) s.rpc.call({ op: "origins", origins: m.origins }).catch(() => {});
        });
        return;
      case "episodes":
        sink.onEpisodes?.(m.records);
        return;
      case "error":
        sink.onError(new Error(`shard ${m.shard}: ${m.message}`));
        return;
    }
  }
}

function mergeHistograms(parts: readonly HistogramData[]): HistogramData {
  const all = new Histogram();
  for (const p of parts) all.merge(p);
  return all.toJSON();
}
