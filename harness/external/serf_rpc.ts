/**
 * A minimal client for a Serf agent's RPC interface (msgpack over TCP).
 *
 * Wire format (Serf's `agent/ipc.go`): every request is a msgpack header
 * map `{Command, Seq}`, followed by a body map only for the commands that
 * take one (here `handshake`, `monitor`, `stop`). Every reply starts with a
 * header map `{Seq, Error}`; `members` replies add a body. A `monitor`
 * request is acknowledged by a bare header, then each log line arrives as a
 * header plus a `{Log}` body carrying the monitor's `Seq`.
 *
 * The reply stream is decoded incrementally (a TCP read may end anywhere
 * inside an object), and the client knows from the `Seq` whether a body
 * follows a header.
 *
 * @example
 * ```ts
 * const rpc = await SerfRpcClient.connect(7373);
 * const members = await rpc.members();
 * const monitor = await rpc.monitor("INFO", (line) => lines.push(line));
 * await monitor.stop();
 * await rpc.close();
 * ```
 *
 * @module
 */

import { decodeMultiStream, encode } from "@msgpack/msgpack";

/** One member as an agent sees it (`members` command). */
export interface SerfMember {
  /** Node name. */
  readonly name: string;
  /** Advertised IP, dotted (the 4 or 16 raw bytes Serf sends, converted). */
  readonly addr: string;
  /** Advertised gossip port. */
  readonly port: number;
  /** `alive`, `leaving`, `left`, `failed` (Serf's `MemberStatus.String()`). */
  readonly status: string;
  /** The member's tags. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Options of {@linkcode SerfRpcClient.connect}. */
export interface SerfRpcConnectOptions {
  /**
   * Host of the agent's RPC listener.
   * @default {"127.0.0.1"}
   */
  readonly hostname?: string;
  /**
   * How long a request may wait for its reply before it is rejected (ms).
   * @default {5000}
   */
  readonly timeoutMs?: number;
}

/** A running `monitor` subscription. */
export interface SerfMonitor {
  /** The request's sequence number (what `stop` names). */
  readonly seq: number;
  /** Ends the subscription (`stop` command); lines already sent may still arrive before it resolves. */
  stop(): Promise<void>;
}

/** What a pending request does with its reply. */
interface Pending {
  readonly command: string;
  readonly expectsBody: boolean;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The IPC version this client speaks (`handshake {Version: 1}`). */
const IPC_VERSION = 1;

/**
 * A connection to one Serf agent's RPC port. Requests may run concurrently;
 * replies are matched by `Seq`. Close it with {@linkcode SerfRpcClient.close}
 * (or `await using`), which also ends any monitor.
 */
export class SerfRpcClient implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  readonly #where: string;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #monitors = new Map<number, (line: string) => void>();
  /** Requests given up on (timed out): their late replies are read and dropped. Seq → a body follows. */
  readonly #abandoned = new Map<number, boolean>();
  readonly #reading: Promise<void>;
  #writing: Promise<void> = Promise.resolve();
  #nextSeq = 0;
  #closing = false;
  #ended: Error | undefined;

  private constructor(conn: Deno.TcpConn, where: string, timeoutMs: number) {
    this.#conn = conn;
    this.#where = where;
    this.#timeoutMs = timeoutMs;
    this.#reading = this.#readLoop();
  }

  /**
   * Connects to an agent's RPC port and performs the handshake.
   *
   * @throws {Error} when nothing listens there, or the agent refuses the handshake.
   */
  static async connect(port: number, options: SerfRpcConnectOptions = {}): Promise<SerfRpcClient> {
    const { hostname = "127.0.0.1", timeoutMs = 5000 } = options;
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot connect as 'timeoutMs' must be positive: current value is ${timeoutMs}`);
    }
    const where = `${hostname}:${port}`;
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname, port, transport: "tcp" });
    } catch (cause) {
      throw new Error(`Cannot connect to Serf RPC at ${where}: ${(cause as Error).message}`, { cause });
    }
    const client = new SerfRpcClient(conn, where, timeoutMs);
    try {
      await client.#request("handshake", { Version: IPC_VERSION }, false);
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** The agent's view of the cluster. */
  async members(): Promise<SerfMember[]> {
    const body = await this.#request("members", undefined, true);
    const raw = (body as { Members?: unknown } | undefined)?.Members;
    if (!Array.isArray(raw)) throw new Error(`Serf RPC at ${this.#where}: 'members' reply has no Members list`);
    return raw.map((m) => toMember(m, this.#where));
  }

  /**
   * Subscribes to the agent's log at `logLevel` and up (`TRACE`, `DEBUG`,
   * `INFO`, `WARN`, `ERR`). Resolves once the agent acknowledged; `onLine`
   * is then called with every line, in order, starting with the agent's
   * backlog of up to 512 earlier lines (Serf replays them to every new
   * monitor). One monitor per connection.
   */
  async monitor(logLevel: string, onLine: (line: string) => void): Promise<SerfMonitor> {
    const seq = this.#nextSeq;
    // Registered before the request is sent: the first record may follow the acknowledgement in the same TCP read.
    this.#monitors.set(seq, onLine);
    try {
      await this.#request("monitor", { LogLevel: logLevel }, false);
    } catch (error) {
      this.#monitors.delete(seq);
      throw error;
    }
    return { seq, stop: () => this.stop(seq) };
  }

  /** Ends the `monitor` (or stream) whose request had sequence number `seq`. */
  async stop(seq: number): Promise<void> {
    // Lines the agent queued before the stop still arrive (Serf drains its queue): they are read and dropped.
    if (this.#monitors.has(seq)) this.#monitors.set(seq, () => {});
    await this.#request("stop", { Stop: seq }, false);
  }

  /**
   * Closes the connection and waits for the reader to finish. Pending
   * requests are rejected. Safe to call more than once.
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed by the reader (the agent went away).
      }
    }
    await this.#reading;
    await this.#writing;
  }

  /** Same as {@linkcode SerfRpcClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #request(command: string, body: Record<string, unknown> | undefined, expectsBody: boolean): Promise<unknown> {
    if (this.#ended !== undefined || this.#closing) {
      return Promise.reject(new Error(`Serf RPC at ${this.#where}: cannot send '${command}', connection closed`));
    }
    const seq = this.#nextSeq++;
    const header = encode({ Command: command, Seq: seq });
    const bytes = body === undefined ? header : concat(header, encode(body));
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        this.#abandoned.set(seq, expectsBody);
        reject(
          new Error(
            `Serf RPC at ${this.#where}: no reply to '${command}' (seq ${seq}) within ${
              Math.round(this.#timeoutMs)
            } ms`,
          ),
        );
      }, this.#timeoutMs);
      this.#pending.set(seq, { command, expectsBody, resolve, reject, timer });
    });
    this.#writing = this.#writing.then(() => writeAll(this.#conn, bytes)).catch((cause) => {
      this.#settle(seq, new Error(`Serf RPC at ${this.#where}: cannot send '${command}': ${cause.message}`, { cause }));
    });
    return reply;
  }

  #settle(seq: number, error: Error | undefined, body?: unknown): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined) return;
    this.#pending.delete(seq);
    clearTimeout(pending.timer);
    if (error === undefined) pending.resolve(body);
    else pending.reject(error);
  }

  async #readLoop(): Promise<void> {
    // What the next decoded object is: a header, or the body of the reply with this Seq.
    let bodyOf: { seq: number; to: "request" | "monitor" | "drop" } | undefined;
    try {
      for await (const object of decodeMultiStream(readChunks(this.#conn))) {
        if (bodyOf !== undefined) {
          const { seq, to } = bodyOf;
          bodyOf = undefined;
          if (to === "request") {
            this.#settle(seq, undefined, object);
          } else if (to === "monitor") {
            const log = (object as { Log?: unknown } | null)?.Log;
            if (typeof log === "string") this.#monitors.get(seq)?.(log);
          }
          continue;
        }
        const header = object as { Seq?: unknown; Error?: unknown } | null;
        const seq = Number(header?.Seq);
        const error = typeof header?.Error === "string" ? header.Error : "";
        const pending = this.#pending.get(seq);
        if (pending !== undefined) {
          if (error !== "") {
            this.#settle(seq, new Error(`Serf RPC at ${this.#where}: '${pending.command}' failed: ${error}`));
          } else if (pending.expectsBody) {
            bodyOf = { seq, to: "request" };
          } else {
            this.#settle(seq, undefined);
          }
        } else if (this.#monitors.has(seq)) {
          bodyOf = { seq, to: "monitor" };
        } else if (this.#abandoned.has(seq)) {
          if (this.#abandoned.get(seq) === true && error === "") bodyOf = { seq, to: "drop" };
          this.#abandoned.delete(seq);
        } else {
          throw new Error(`reply with unknown Seq ${String(header?.Seq)}`);
        }
      }
      if (!this.#closing) this.#ended = new Error(`Serf RPC at ${this.#where}: connection closed by the agent`);
    } catch (cause) {
      this.#ended = this.#closing
        ? new Error(`Serf RPC at ${this.#where}: connection closed`)
        : new Error(`Serf RPC at ${this.#where}: ${(cause as Error).message}`, { cause });
    }
    this.#ended ??= new Error(`Serf RPC at ${this.#where}: connection closed`);
    for (const seq of [...this.#pending.keys()]) {
      const command = this.#pending.get(seq)?.command;
      this.#settle(seq, new Error(`${this.#ended.message} before the reply to '${command}' (seq ${seq})`));
    }
    this.#monitors.clear();
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
  }
}

/** The bytes of a TCP connection as they arrive, until EOF or close. */
async function* readChunks(conn: Deno.TcpConn): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) return;
      throw error;
    }
    if (n === null) return;
    yield buffer.slice(0, n);
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Dotted IPv4 (or IPv4-mapped IPv6), or colon-separated hex for other IPv6 addresses. */
export function formatSerfAddr(raw: unknown): string {
  if (typeof raw === "string") return raw;
  if (!(raw instanceof Uint8Array)) return "";
  if (raw.length === 4) return Array.from(raw).join(".");
  if (raw.length === 16) {
    const mapped = raw.subarray(0, 10).every((b) => b === 0) && raw[10] === 0xff && raw[11] === 0xff;
    if (mapped) return Array.from(raw.subarray(12)).join(".");
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((raw[i]! << 8) | raw[i + 1]!).toString(16));
    return groups.join(":");
  }
  return "";
}

function toMember(raw: unknown, where: string): SerfMember {
  const m = raw as Record<string, unknown> | undefined;
  if (m === undefined || typeof m !== "object" || typeof m.Name !== "string") {
    throw new Error(`Serf RPC at ${where}: malformed member in 'members' reply`);
  }
  const tags: Record<string, string> = {};
  if (m.Tags !== null && typeof m.Tags === "object") {
    for (const [k, v] of Object.entries(m.Tags as Record<string, unknown>)) tags[k] = String(v);
  }
  return {
    name: m.Name,
    addr: formatSerfAddr(m.Addr),
    port: Number(m.Port),
    status: String(m.Status),
    tags,
  };
}
