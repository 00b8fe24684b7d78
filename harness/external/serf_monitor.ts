/**
 * A Serf agent's log, as its RPC `monitor` subscription delivers it, cut
 * from its backlog and turned into timestamped member events.
 *
 * The backlog: a new `monitor` first replays up to 512 earlier lines. They
 * are cut off with a marker: once the monitor is acknowledged, a second TCP
 * connection is opened to the RPC port, and the agent logs
 * `agent.ipc: Accepted client: 127.0.0.1:<its port>`. Serf writes every log
 * line to its subscribers under one lock, replaying the backlog first, so
 * the lines after that marker in the stream are exactly the lines written
 * after it, and only those become events. The subscription is made as soon
 * as the RPC port answers, before `spawnSerfAgent()` returns; lines written
 * in the ~1 ms between the acknowledgement and the marker count as backlog
 * (at most the agent's own start-up joins).
 *
 * @module
 */

import { absNowMs } from "../os/clock.ts";
import { withTimeout } from "./_timeout.ts";
import {
  isAcceptedClientLine,
  parseSerfLogLine,
  type SerfEventKind,
  type SerfEventSource,
  type SerfLogEvent,
  serfLogTimeMs,
} from "./serf_log.ts";
import type { SerfRpcClient } from "./serf_rpc.ts";

/** An event reported by one agent about a member. */
export interface SerfEvent {
  /** Arrival of the log line at this process, epoch ms (`performance.timeOrigin + performance.now()`). */
  readonly t: number;
  /** What happened to the subject. */
  readonly kind: SerfEventKind;
  /** Node name of the member concerned. */
  readonly subject: string;
  /** The member's IP as the line gives it (memberlist lines: the last IP seen for it; "" if none). */
  readonly address: string;
  /** Node name of the agent that logged it. */
  readonly observer: string;
  /** `serf` for `EventMember*` lines, `memberlist` for its suspect / mark-failed lines. */
  readonly source: SerfEventSource;
  /** The line's own timestamp (whole seconds, epoch ms), if any. */
  readonly logTimeMs: number | undefined;
  /** The log line. */
  readonly line: string;
}

/** How the monitor subscription was cut from its backlog. */
export interface SerfSubscription {
  /** When the agent acknowledged the `monitor` request (epoch ms). */
  readonly ackAtMs: number;
  /** When the marker connection was opened (epoch ms). */
  readonly markerSentAtMs: number;
  /** When the marker line arrived (epoch ms): events are the lines after it. */
  readonly liveFromMs: number;
  /** The marker line. */
  readonly markerLine: string;
  /** The marker line's own timestamp (whole seconds); every event's `logTimeMs` is at least this. */
  readonly markerLogTimeMs: number | undefined;
  /** Lines skipped as backlog (INFO and up, before the marker, the marker excluded). */
  readonly backlogLines: number;
}

/** What a {@linkcode SerfMonitor} reports to, beside its `events` (the `onEvent` and `onLine` of `SerfAgentOptions`). */
export interface SerfMonitorCallbacks {
  /** Called with each event as it arrives (also kept in `events`). Must not throw. */
  readonly onEvent?: (event: SerfEvent) => void;
  /** Called with every live monitor line (INFO and up, backlog excluded) and its arrival time. Must not throw. */
  readonly onLine?: (line: string, t: number) => void;
}

/**
 * One agent's monitor stream: lines before the marker are backlog (they
 * only teach member addresses), lines after it become {@linkcode SerfEvent}s.
 */
export class SerfMonitor {
  /** Every event so far, in arrival order. */
  readonly events: SerfEvent[] = [];
  readonly #observer: string;
  readonly #options: SerfMonitorCallbacks;
  /** Last IP seen per node name, backlog included (memberlist lines carry none). */
  readonly #addresses = new Map<string, string>();
  /** Lines before the marker, kept until the marker is known. */
  #early: { line: string; t: number }[] | undefined = [];
  #markerAddr: string | undefined;
  #onMarker: (() => void) | undefined;
  #live = false;
  #backlogLines = 0;
  #markerLine = "";
  #liveFromMs = 0;

  /**
   * @param observer Node name of the agent whose log this is.
   * @param options Its `onEvent` and `onLine` callbacks.
   */
  constructor(observer: string, options: SerfMonitorCallbacks) {
    this.#observer = observer;
    this.#options = options;
  }

  /**
   * Subscribes to the log over `rpc` at INFO and cuts the backlog with a
   * marker connection to `rpcPort` (see the module doc).
   *
   * @param deadline `performance.now()` by which the marker line must have arrived.
   */
  async subscribe(rpc: SerfRpcClient, rpcPort: number, deadline: number): Promise<SerfSubscription> {
    const remaining = () => Math.max(1, deadline - performance.now());
    await rpc.monitor("INFO", (line) => this.#onMonitorLine(line));
    const ackAtMs = absNowMs();

    const markerSentAtMs = absNowMs();
    const marker = await Deno.connect({ hostname: "127.0.0.1", port: rpcPort, transport: "tcp" });
    try {
      const local = marker.localAddr as Deno.NetAddr;
      const seen = new Promise<void>((resolve) => this.#onMarker = resolve);
      this.#markerAddr = `${local.hostname}:${local.port}`;
      this.#scanEarly();
      await withTimeout(seen, remaining(), `no marker line for RPC client ${this.#markerAddr} on the monitor`);
    } finally {
      marker.close();
    }
    return {
      ackAtMs,
      markerSentAtMs,
      liveFromMs: this.#liveFromMs,
      markerLine: this.#markerLine,
      markerLogTimeMs: serfLogTimeMs(this.#markerLine),
      backlogLines: this.#backlogLines,
    };
  }

  #onMonitorLine(line: string): void {
    const t = absNowMs();
    if (this.#live) {
      this.#emit(line, t);
    } else {
      this.#early!.push({ line, t });
      if (this.#markerAddr !== undefined) this.#scanEarly();
    }
  }

  /** Once the marker's address is known: finds the marker among the early lines; what follows it is live. */
  #scanEarly(): void {
    const early = this.#early!;
    const at = early.findIndex(({ line }) => isAcceptedClientLine(line, this.#markerAddr!));
    if (at < 0) return;
    for (const { line } of early.slice(0, at)) this.#learnAddress(parseSerfLogLine(line));
    this.#backlogLines = at;
    this.#markerLine = early[at]!.line;
    this.#liveFromMs = early[at]!.t;
    this.#live = true;
    this.#early = undefined;
    for (const { line, t } of early.slice(at + 1)) this.#emit(line, t);
    this.#onMarker?.();
  }

  /** Remembers the IP a parsed line gives its subject, if it gives one. */
  #learnAddress(parsed: SerfLogEvent | undefined): void {
    if (parsed?.address !== undefined) this.#addresses.set(parsed.subject, parsed.address);
  }

  #emit(line: string, t: number): void {
    this.#options.onLine?.(line, t);
    const parsed = parseSerfLogLine(line);
    if (parsed === undefined) return;
    this.#learnAddress(parsed);
    const event: SerfEvent = {
      t,
      kind: parsed.kind,
      subject: parsed.subject,
      address: parsed.address ?? this.#addresses.get(parsed.subject) ?? "",
      observer: this.#observer,
      source: parsed.source,
      logTimeMs: parsed.logTimeMs,
      line,
    };
    this.events.push(event);
    this.#options.onEvent?.(event);
  }
}
