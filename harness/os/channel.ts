/**
 * Talking to a child that hosts part of a run (a shard worker, a shard
 * process, the proxy process): one message channel, whatever the child is,
 * and one request/reply layer over it.
 *
 * Every request carries an `id`; the child answers with `re: id` and either
 * `ok: true` plus its fields or `ok: false` plus the error. Messages without
 * `re` are the child's own reports (events, stats). When the child is gone
 * (exited, crashed, terminated) every pending request fails at once with
 * the reason: nothing waits forever on a dead child.
 *
 * @module
 */

import { forEachLine, lineWriter, spawnDeno } from "./child.ts";

/** A reply to request `re`. */
export type Reply<T = Record<string, unknown>> =
  | ({ readonly re: number; readonly ok: true } & T)
  | {
    readonly re: number;
    readonly ok: false;
    readonly error: string;
    readonly errorName: string;
    readonly port?: number;
  };

/** A parent's end of a channel to one child. */
export interface Channel {
  /** Sends one message (dropped silently once the child is gone). */
  post(message: unknown): void;
  /** Resolves with a reason when the child is gone. */
  readonly gone: Promise<string>;
  /** Ends the child at once; resolves when it is gone. */
  terminate(): Promise<void>;
  /** The child's process id, or null for a worker. */
  readonly pid: number | null;
}

/** A Web Worker running `main`. */
export function workerChannel(main: URL, onMessage: (message: unknown) => void): Channel {
  const worker = new Worker(main, { type: "module" });
  let markGone: (reason: string) => void = () => {};
  const gone = new Promise<string>((resolve) => markGone = resolve);
  let alive = true;
  worker.onmessage = (event: MessageEvent) => onMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    alive = false;
    markGone(`the worker failed: ${event.message}`);
  };
  return {
    post: (m) => {
      if (alive) worker.postMessage(m);
    },
    gone,
    terminate: () => {
      if (alive) worker.terminate();
      alive = false;
      markGone("the worker was terminated");
      return Promise.resolve();
    },
    pid: null,
  };
}

/** A child process running `main`, one JSON message per line each way. */
export function processChannel(
  main: URL,
  onMessage: (message: unknown) => void,
): Channel & { readonly child: Deno.ChildProcess } {
  const child = spawnDeno(main);
  const writer = lineWriter(child);
  let exited = false;
  const reading = forEachLine(child.stdout, (line) => onMessage(JSON.parse(line))).catch(() => {});
  const gone = child.status.then((s) => {
    exited = true;
    return s.signal ? `the process was killed by ${s.signal}` : `the process exited with code ${s.code}`;
  });
  return {
    child,
    pid: child.pid,
    post: (m) => {
      if (!exited) writer.send(m).catch(() => {});
    },
    gone,
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
      await gone;
      await reading;
    },
  };
}

/** Requests over a channel; fails every pending request when the child is gone. */
export class RpcClient {
  readonly #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #goneReason: string | null = null;
  readonly #name: string;
  #channel: Channel | undefined;

  /** `name` prefixes errors (`shard 1`, `proxy`). */
  constructor(name: string) {
    this.#name = name;
  }

  /** Attaches the channel (after construction, since the channel's message handler calls {@linkcode receive}). */
  attach(channel: Channel): void {
    this.#channel = channel;
    channel.gone.then((reason) => this.fail(reason));
  }

  /** Sends a request; resolves to the reply's fields or rejects with its error. */
  call<T = Record<string, unknown>>(request: Record<string, unknown>): Promise<T> {
    if (this.#goneReason !== null) return Promise.reject(new Error(`${this.#name}: ${this.#goneReason}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (r: Record<string, unknown>) => void, reject });
      this.#channel!.post({ ...request, id });
    });
  }

  /**
   * Routes one message from the child: a reply settles its request
   * (returns true); anything else is the caller's (returns false).
   */
  receive(message: unknown): boolean {
    const m = message as Partial<Reply>;
    if (typeof m !== "object" || m === null || typeof m.re !== "number") return false;
    const waiter = this.#pending.get(m.re);
    if (!waiter) return true;
    this.#pending.delete(m.re);
    if (m.ok) waiter.resolve(m as Record<string, unknown>);
    else {
      const failed = m as { error: string; errorName: string; port?: number };
      const error = new Error(`${this.#name}: ${failed.error}`) as Error & { port?: number };
      error.name = failed.errorName;
      if (failed.port !== undefined) error.port = failed.port;
      waiter.reject(error);
    }
    return true;
  }

  /** Fails every pending and future request (the child is gone). */
  fail(reason: string): void {
    if (this.#goneReason !== null) return;
    this.#goneReason = reason;
    for (const { reject } of this.#pending.values()) reject(new Error(`${this.#name}: ${reason}`));
    this.#pending.clear();
  }
}

/**
 * The child's side: runs `handle` for each request, one at a time in
 * arrival order, and posts its answer (or its error) with `re`.
 */
export function serveRequests(
  post: (message: unknown) => void,
  handle: (request: Record<string, unknown> & { id: number }) => Promise<Record<string, unknown>>,
): (message: unknown) => void {
  let queue = Promise.resolve();
  return (message) => {
    const request = message as Record<string, unknown> & { id: number };
    queue = queue.then(async () => {
      try {
        post({ ...(await handle(request)), re: request.id, ok: true });
      } catch (error) {
        const port = (error as { port?: unknown }).port;
        post({
          re: request.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
          errorName: error instanceof Error ? error.name : "Error",
          ...(typeof port === "number" ? { port } : {}),
        });
      }
    });
  };
}
