/**
 * Drives one {@linkcode Detector} over one {@linkcode Transport}: the only
 * place a member's clock is read. It feeds the detector nominal time,
 * carries out its sends, counts bytes the socket actually took, counts and
 * drops malformed datagrams, and keeps the scheduler armed for the
 * detector's next deadline.
 *
 * @module
 */

import { DecodeError } from "../../lib/core/wire.ts";
import type { Detector, DetectorEvent, Step } from "../../lib/core/detector.ts";
import type { MemberId } from "../../lib/core/member_id.ts";
import type { RunClock } from "../os/clock.ts";
import type { Scheduler } from "./scheduler.ts";
import type { Transport } from "../net/transport.ts";

/** Per-member counters, by slot (the member's position in its shard). */
export class MemberCounters {
  readonly sentBytes: Float64Array;
  readonly sentDatagrams: Float64Array;
  readonly recvBytes: Float64Array;
  readonly recvDatagrams: Float64Array;
  readonly malformed: Float64Array;
  readonly sendErrors: Float64Array;
  /** Datagrams from an address that is not the proxy's (counted and dropped unread). */
  readonly foreign: Float64Array;
  constructor(size: number) {
    this.sentBytes = new Float64Array(size);
    this.sentDatagrams = new Float64Array(size);
    this.recvBytes = new Float64Array(size);
    this.recvDatagrams = new Float64Array(size);
    this.malformed = new Float64Array(size);
    this.sendErrors = new Float64Array(size);
    this.foreign = new Float64Array(size);
  }
  /** Plain arrays, for posting. */
  snapshot(): {
    sentBytes: number[];
    sentDatagrams: number[];
    recvBytes: number[];
    recvDatagrams: number[];
    malformed: number[];
    sendErrors: number[];
    foreign: number[];
  } {
    return {
      sentBytes: Array.from(this.sentBytes),
      sentDatagrams: Array.from(this.sentDatagrams),
      recvBytes: Array.from(this.recvBytes),
      recvDatagrams: Array.from(this.recvDatagrams),
      malformed: Array.from(this.malformed),
      sendErrors: Array.from(this.sendErrors),
      foreign: Array.from(this.foreign),
    };
  }
}

/** Hosts one member. */
export class MemberHost {
  #stopped = false;
  #paused = false;
  readonly #held: { from: MemberId; bytes: Uint8Array }[] = [];
  #scheduledAt = Infinity;

  constructor(
    /** Slot of this member in its shard (scheduler key, counter index). */
    readonly slot: number,
    readonly detector: Detector,
    readonly transport: Transport,
    readonly clock: RunClock,
    readonly scheduler: Scheduler,
    readonly counters: MemberCounters,
    readonly onEvents: (slot: number, events: readonly DetectorEvent[]) => void,
    /** Whether a datagram's source is the proxy (any member's public address or its broadcast address). */
    readonly fromProxy: (from: MemberId) => boolean = () => true,
  ) {}

  /** Starts receiving and arms the first deadline. */
  start(): void {
    this.transport.listen((from, bytes) => this.#receive(from, bytes));
    this.#rearm();
  }

  /** Runs the detector's due work (called by the scheduler). */
  tick(): void {
    this.#scheduledAt = Infinity;
    if (this.#stopped || this.#paused) return;
    this.#apply(this.detector.tick(this.clock.nominalNow()));
    this.#rearm();
  }

  /**
   * Freezes the member (the worker-hosted analogue of SIGSTOP): no timers
   * run and received datagrams are held, unprocessed, until `resume`.
   */
  pause(): void {
    this.#paused = true;
    this.scheduler.cancel(this.slot);
    this.#scheduledAt = Infinity;
  }

  /** Thaws the member: held datagrams are processed in order, then due work runs. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const { from, bytes } of this.#held.splice(0)) this.#receive(from, bytes);
    this.tick();
  }

  /** Whether the member is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Stops scheduling and closes the socket. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.scheduler.cancel(this.slot);
    await this.transport.close();
  }

  #receive(from: MemberId, bytes: Uint8Array): void {
    if (this.#stopped) return;
    // A member's private port is the proxy's to deliver to: anything else is foreign, counted and never read.
    if (!this.fromProxy(from)) {
      this.counters.foreign[this.slot]!++;
      return;
    }
    if (this.#paused) {
      // The transport reuses its buffer: keep a copy until resume.
      this.#held.push({ from, bytes: bytes.slice() });
      return;
    }
    const c = this.counters;
    c.recvDatagrams[this.slot]!++;
    c.recvBytes[this.slot]! += bytes.length;
    let step: Step;
    try {
      step = this.detector.receive(from, bytes, this.clock.nominalNow());
    } catch (error) {
      if (error instanceof DecodeError) {
        c.malformed[this.slot]!++;
        return;
      }
      throw error;
    }
    this.#apply(step);
    // A receive may bring the next deadline forward (never for the basic
    // detector, but the seam allows it); a later one is handled by the tick.
    const next = this.detector.nextDeadlineMs();
    if (next !== undefined && this.clock.toAbs(next) < this.#scheduledAt) {
      this.#rearm();
    }
  }

  #apply(step: Step): void {
    if (step.events.length > 0) this.onEvents(this.slot, step.events);
    for (const send of step.sends) {
      const slot = this.slot;
      const c = this.counters;
      this.transport.send(send.to, send.bytes).then(
        (n) => {
          c.sentDatagrams[slot]!++;
          c.sentBytes[slot]! += n;
        },
        () => {
          c.sendErrors[slot]!++;
        },
      );
    }
  }

  #rearm(): void {
    const next = this.detector.nextDeadlineMs();
    if (next === undefined || this.#stopped || this.#paused) return;
    this.#scheduledAt = this.clock.toAbs(next);
    this.scheduler.schedule(this.slot, this.#scheduledAt);
  }
}
