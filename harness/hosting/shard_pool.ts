/**
 * Coordinator side of the shard workers: spawns them, splits members over
 * them in contiguous blocks, and turns their messages into callbacks.
 *
 * @module
 */

import type { FromShard, MemberAction, ShardCounters, ShardDetectorConfig, ToShard } from "./shard_protocol.ts";
import { PortInUseError } from "../net/udp_transport.ts";
import { absNowMs } from "../os/clock.ts";
import { forEachLine, lineWriter, spawnDeno } from "../os/child.ts";
import type { HistogramData } from "../../lib/core/histogram.ts";

/** Where shards run: Web Workers in this process, or one process each (pausable with SIGSTOP). */
export type Hosting = "workers" | "processes";

/** One shard's message channel, whatever hosts it. */
interface ShardChannel {
  post(message: ToShard): void;
  /** Ends the shard at once; resolves when it is gone. */
  terminate(): Promise<void>;
  /** Sends a signal (process-hosted shards only). */
  signal(signal: "SIGSTOP" | "SIGCONT"): void;
}

function workerChannel(onMessage: (m: FromShard) => void, onError: (e: Error) => void, shard: number): ShardChannel {
  const worker = new Worker(new URL("./shard_worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<FromShard>) => onMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    onError(new Error(`shard ${shard} failed: ${event.message}`));
  };
  return {
    post: (m) => worker.postMessage(m),
    terminate: () => {
      worker.terminate();
      return Promise.resolve();
    },
    signal: () => {
      throw new RangeError("worker-hosted shards cannot be signalled; use hosting: 'processes'");
    },
  };
}

function processChannel(onMessage: (m: FromShard) => void, onError: (e: Error) => void, shard: number): ShardChannel {
  const child = spawnDeno(new URL("./shard_process.ts", import.meta.url));
  const writer = lineWriter(child);
  let exited = false;
  const reading = forEachLine(child.stdout, (line) => onMessage(JSON.parse(line) as FromShard))
    .catch((error) => onError(new Error(`shard ${shard}: ${error}`)));
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return {
    post: (m) => {
      writer.send(m).catch(() => {});
    },
    terminate: async () => {
      if (!exited) {
        try {
          child.kill("SIGCONT");
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await writer.close();
      await status;
      await reading;
    },
    signal: (signal) => {
      if (!exited) child.kill(signal);
    },
  };
}

/** Options of {@linkcode ShardPool.start}. */
export interface ShardPoolOptions {
  readonly members: number;
  readonly shards: number;
  /** Where shards run. @default {"workers"} */
  readonly hosting?: Hosting;
  /** Explicit member lists per shard (overrides `shards`). */
  readonly layout?: readonly (readonly number[])[];
  readonly seed: number;
  readonly config: ShardDetectorConfig;
  readonly speedup: number;
  /** First private port (members get consecutive ports), or 0 for any free ports. */
  readonly basePort?: number;
  readonly statsIntervalMs?: number;
  /** Track propagation episodes. @default {null} */
  readonly episodes?: { readonly horizonMs: number; readonly cutoffMs: number } | null;
  /** Finished episodes from one shard (flat quintuples, see shard_protocol.ts). */
  readonly onEpisodes?: (records: number[]) => void;
  readonly onEvents: (events: number[]) => void;
  readonly onStats: (message: Extract<FromShard, { type: "stats" }>) => void;
  readonly onError: (error: Error) => void;
}

/** Final report of one shard. */
export interface ShardFinal {
  readonly shard: number;
  readonly members: readonly number[];
  readonly counters: ShardCounters;
  readonly lateness: HistogramData;
  readonly atAbsMs: number;
  readonly propagation: HistogramData | null;
}

/** The running shard workers. */
export class ShardPool {
  readonly #workers: ShardChannel[] = [];
  readonly #members: number[][] = [];
  readonly #waiters = new Map<string, (message: FromShard) => void>();
  readonly #options: ShardPoolOptions;
  #terminated = false;
  #controlSeq = 0;
  readonly #controls = new Map<number, (message: Extract<FromShard, { type: "controlled" }>) => void>();
  /** Private port of every member, by global index. */
  privatePorts: number[] = [];

  private constructor(options: ShardPoolOptions) {
    this.#options = options;
  }

  /** The member indices of each shard. */
  get members(): readonly (readonly number[])[] {
    return this.#members;
  }

  /** Spawns the workers and binds every member's private socket. */
  static async start(options: ShardPoolOptions): Promise<ShardPool> {
    const pool = new ShardPool(options);
    if (options.layout) {
      for (const list of options.layout) if (list.length > 0) pool.#members.push([...list]);
    } else {
      const shards = Math.max(1, Math.min(options.shards, options.members));
      const per = Math.ceil(options.members / shards);
      for (let s = 0; s < shards; s++) {
        const indices: number[] = [];
        for (let i = s * per; i < Math.min(options.members, (s + 1) * per); i++) indices.push(i);
        if (indices.length > 0) pool.#members.push(indices);
      }
    }
    try {
      const bound = await Promise.all(pool.#members.map((indices, s) => {
        const open = (options.hosting ?? "workers") === "processes" ? processChannel : workerChannel;
        pool.#workers.push(open((m) => pool.#receive(m), options.onError, s));
        const ports = indices.map((i) => options.basePort ? options.basePort + i : 0);
        return pool.#request(s, "bound", {
          type: "init",
          shard: s,
          members: indices,
          ports,
          seed: options.seed,
          config: options.config,
          speedup: options.speedup,
          statsIntervalMs: options.statsIntervalMs ?? 1000,
          episodes: options.episodes ?? null,
        });
      }));
      pool.privatePorts = new Array(options.members).fill(0);
      bound.forEach((message, s) => {
        if (message.type !== "bound") return;
        pool.#members[s]!.forEach((index, k) => pool.privatePorts[index] = message.ports[k]!);
      });
    } catch (error) {
      await pool.terminate();
      throw error;
    }
    return pool;
  }

  /** Starts every member: the run's clock starts at `startAbsMs`. */
  begin(publicIds: readonly number[], startAbsMs: number, broadcastId?: number): void {
    this.#workers.forEach((w) =>
      w.post(
        {
          type: "start",
          publicIds,
          startAbsMs,
          ...(broadcastId !== undefined ? { broadcastId } : {}),
        } satisfies ToShard,
      )
    );
  }

  /**
   * Kills, restarts, pauses or resumes one member in its shard. Resolves to
   * the instant (epoch ms) it took effect.
   */
  control(member: number, action: MemberAction): Promise<number> {
    const shard = this.#members.findIndex((list) => list.includes(member));
    if (shard < 0) return Promise.reject(new RangeError(`no shard hosts member ${member}`));
    const seq = ++this.#controlSeq;
    return new Promise<number>((resolve, reject) => {
      this.#controls.set(seq, (answer) => {
        if (answer.error) reject(new Error(`shard ${shard}: ${action} of member ${member} failed: ${answer.error}`));
        else resolve(answer.atAbsMs);
      });
      this.#workers[shard]!.post({ type: "control", seq, action, member } satisfies ToShard);
    });
  }

  /** Stops all scheduled work; sockets keep receiving what is in flight. */
  async quiesce(): Promise<void> {
    await Promise.all(
      this.#workers.map((_, s) => this.#request(s, "quiesced", { type: "quiesce" })),
    );
  }

  /** Closes every socket and collects each shard's final counters. */
  async stop(): Promise<ShardFinal[]> {
    const finals = await Promise.all(
      this.#workers.map((_, s) => this.#request(s, "stopped", { type: "stop" })),
    );
    this.terminate();
    return finals.map((m, s) => {
      if (m.type !== "stopped") throw new Error("unreachable");
      return {
        shard: s,
        members: this.#members[s]!,
        counters: m.counters,
        lateness: m.lateness,
        atAbsMs: m.atAbsMs,
        propagation: m.propagation,
      };
    });
  }

  /** The shard hosting `member`, or -1. */
  shardOf(member: number): number {
    return this.#members.findIndex((list) => list.includes(member));
  }

  /** Sends SIGSTOP or SIGCONT to the process hosting `member` (process hosting only); returns when sent (epoch ms). */
  signal(member: number, signal: "SIGSTOP" | "SIGCONT"): number {
    const shard = this.shardOf(member);
    if (shard < 0) throw new RangeError(`no shard hosts member ${member}`);
    this.#workers[shard]!.signal(signal);
    return absNowMs();
  }

  /** Ends every shard at once (sockets close with them); resolves when they are gone. */
  async terminate(): Promise<void> {
    if (this.#terminated) return;
    this.#terminated = true;
    const ending = this.#workers.map((w) => w.terminate());
    for (const resolve of this.#waiters.values()) {
      resolve({
        type: "error",
        shard: -1,
        name: "Error",
        message: "the shard pool was terminated",
      });
    }
    this.#waiters.clear();
    for (const resolve of this.#controls.values()) {
      resolve({ type: "controlled", shard: -1, seq: -1, atAbsMs: 0, error: "the shard pool was terminated" });
    }
    this.#controls.clear();
    await Promise.all(ending);
  }

  #request(
    shard: number,
    reply: FromShard["type"],
    message: ToShard,
  ): Promise<FromShard> {
    return new Promise<FromShard>((resolve, reject) => {
      this.#waiters.set(`${shard}:${reply}`, (answer) => {
        if (answer.type === "error") {
          reject(
            answer.name === "PortInUseError" && answer.port !== undefined
              ? new PortInUseError(answer.port)
              : new Error(`shard ${shard}: ${answer.message}`),
          );
        } else {
          resolve(answer);
        }
      });
      this.#workers[shard]!.post(message);
    });
  }

  #receive(message: FromShard): void {
    switch (message.type) {
      case "events":
        this.#options.onEvents(message.events);
        return;
      case "stats":
        this.#options.onStats(message);
        return;
      case "origins":
        // Every other shard needs the origin to time its observers' learns.
        this.#workers.forEach((w, s) => {
          if (s !== message.shard) w.post({ type: "origins", origins: message.origins } satisfies ToShard);
        });
        return;
      case "episodes":
        this.#options.onEpisodes?.(message.records);
        return;
      case "controlled": {
        const resolve = this.#controls.get(message.seq);
        this.#controls.delete(message.seq);
        resolve?.(message);
        return;
      }
      case "error": {
        // An error answers whatever request is pending for that shard, else it is fatal.
        const key = [...this.#waiters.keys()].find((k) => k.startsWith(`${message.shard}:`));
        if (key) {
          const resolve = this.#waiters.get(key)!;
          this.#waiters.delete(key);
          resolve(message);
        } else {
          this.#options.onError(
            new Error(`shard ${message.shard}: ${message.message}`),
          );
        }
        return;
      }
      default: {
        const key = `${message.shard}:${message.type}`;
        const resolve = this.#waiters.get(key);
        this.#waiters.delete(key);
        resolve?.(message);
      }
    }
  }
}
