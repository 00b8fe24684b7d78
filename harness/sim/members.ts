/**
 * The members of a simulated run: every member's detector created through
 * the member-kind registry with the same {@linkcode MemberContext} a shard
 * host builds (`../hosting/member_context.ts`: same seeds, restart
 * generations, topology, catastrophe broadcast address, episode hooks),
 * driven the way `../hosting/member_host.ts` drives it, in virtual time:
 *
 * - one pending deadline per member in the event queue, versioned like
 *   `../hosting/scheduler.ts` (rescheduling or cancelling bumps the
 *   version; a stale entry is skipped when it comes out);
 * - a receive re-arms only when it brings the deadline forward, a tick
 *   always re-arms (as `MemberHost`);
 * - counters as the shard counts them (`MemberCounters`): bytes and
 *   datagrams each send hands the socket, datagrams and bytes received,
 *   malformed ones (a `DecodeError`, dropped);
 * - pause stops the member's timers and holds what arrives until resume,
 *   which processes the held datagrams in order and then ticks; kill stops
 *   the member for good; restart creates a fresh detector (generation + 1).
 *
 * @module
 */

import type { Detector, DetectorEvent, Step } from "../../lib/core/detector.ts";
import type { MemberId } from "../../lib/core/member_id.ts";
import { DecodeError } from "../../lib/core/wire.ts";
import { memberContext, type MemberContextOptions } from "../hosting/member_context.ts";
import { MemberCounters } from "../hosting/member_host.ts";
import { kindOf } from "../members/registry.ts";
import type { EpisodeTracker } from "../metrics/episodes.ts";
import { EventKind, type EventQueue } from "./event_queue.ts";

/** Options of {@linkcode SimMembers}. */
export interface SimMembersOptions
  extends Pick<MemberContextOptions, "seed" | "publicIds" | "indexOf" | "levels" | "catastrophe" | "broadcastId"> {
  /** The member kind's registry name. */
  readonly kind: string;
  /** The kind's resolved settings. */
  readonly settings: unknown;
  /** Propagation episodes, when measured. */
  readonly tracker: EpisodeTracker | null;
  /** Where deadlines go. */
  readonly queue: EventQueue;
  /** Carries out one send of member `from` (already counted on the member's side). */
  readonly send: (from: number, to: MemberId, bytes: Uint8Array, nowMs: number) => void;
  /** Receives every detector event of member `observer`. */
  readonly onEvents: (observer: number, events: readonly DetectorEvent[]) => void;
}

/** Every member of a simulated run. */
export class SimMembers {
  /** Per-member counters, by index (one shard holding every member). */
  readonly counters: MemberCounters;
  readonly #o: SimMembersOptions;
  readonly #detectors: (Detector | null)[];
  readonly #versions: Uint32Array;
  readonly #scheduledAt: Float64Array;
  readonly #stopped: Uint8Array;
  readonly #paused: Uint8Array;
  readonly #generation: Uint32Array;
  readonly #held = new Map<number, { from: MemberId; bytes: Uint8Array }[]>();
  #quiesced = false;

  /** Creates no detector yet: {@linkcode start} does, member by member. */
  constructor(options: SimMembersOptions) {
    const n = options.publicIds.length;
    this.#o = options;
    this.counters = new MemberCounters(n);
    this.#detectors = new Array<Detector | null>(n).fill(null);
    this.#versions = new Uint32Array(n);
    this.#scheduledAt = new Float64Array(n).fill(Infinity);
    this.#stopped = new Uint8Array(n);
    this.#paused = new Uint8Array(n);
    this.#generation = new Uint32Array(n);
  }

  /** Members. */
  get size(): number {
    return this.#detectors.length;
  }

  /** Creates member `index`'s first detector at nominal `startMs` and arms its deadline. */
  start(index: number, startMs: number): void {
    this.#detectors[index] = this.#create(index, 0, startMs);
    this.#rearm(index, startMs);
  }

  /** A deadline came out of the queue: runs the member's due work unless the entry is stale. */
  deadline(index: number, version: number, nowMs: number): void {
    if (this.#versions[index] !== version) return;
    this.#scheduledAt[index] = Infinity;
    if (this.#stopped[index] === 1 || this.#paused[index] === 1 || this.#quiesced) return;
    this.#apply(index, this.#detectors[index]!.tick(nowMs), nowMs);
    this.#rearm(index, nowMs);
  }

  /** A datagram from `from` (a public address) reaches member `index`'s socket. */
  receive(index: number, from: MemberId, bytes: Uint8Array, nowMs: number): void {
    if (this.#stopped[index] === 1) return;
    if (this.#paused[index] === 1) {
      let held = this.#held.get(index);
      if (!held) this.#held.set(index, held = []);
      held.push({ from, bytes });
      return;
    }
    const c = this.counters;
    c.recvDatagrams[index]!++;
    c.recvBytes[index]! += bytes.length;
    const detector = this.#detectors[index]!;
    let step: Step;
    try {
      step = detector.receive(from, bytes, nowMs);
    } catch (error) {
      if (error instanceof DecodeError) {
        c.malformed[index]!++;
        return;
      }
      throw error;
    }
    this.#apply(index, step, nowMs);
    const next = detector.nextDeadlineMs();
    if (next !== undefined && next < this.#scheduledAt[index]!) this.#rearm(index, nowMs);
  }

  /** Whether member `index` was killed and not restarted (its socket is gone). */
  isStopped(index: number): boolean {
    return this.#stopped[index] === 1;
  }

  /** Freezes member `index`: no timers, arrivals held. */
  pause(index: number): void {
    this.#paused[index] = 1;
    this.#cancel(index);
  }

  /** Thaws member `index`: held datagrams in order, then its due work. */
  resume(index: number, nowMs: number): void {
    if (this.#paused[index] !== 1) return;
    this.#paused[index] = 0;
    const held = this.#held.get(index);
    this.#held.delete(index);
    for (const h of held ?? []) this.receive(index, h.from, h.bytes, nowMs);
    this.#scheduledAt[index] = Infinity;
    if (this.#stopped[index] === 1 || this.#quiesced) return;
    this.#apply(index, this.#detectors[index]!.tick(nowMs), nowMs);
    this.#rearm(index, nowMs);
  }

  /** Stops member `index` (its detector and socket are gone). */
  kill(index: number): void {
    this.#stopped[index] = 1;
    this.#held.delete(index);
    this.#cancel(index);
  }

  /** Restarts member `index` with a fresh detector (next generation) started at `nowMs`. */
  restart(index: number, nowMs: number): void {
    const generation = ++this.#generation[index]!;
    this.#detectors[index] = this.#create(index, generation, nowMs);
    this.#stopped[index] = 0;
    this.#paused[index] = 0;
    this.#rearm(index, nowMs);
  }

  /** Stops all scheduled work; arrivals are still processed (and may still send). */
  quiesce(): void {
    this.#quiesced = true;
  }

  #create(index: number, generation: number, startMs: number): Detector {
    const o = this.#o;
    const tracker = o.tracker;
    const context = memberContext({
      seed: o.seed,
      index,
      generation,
      startMs,
      publicIds: o.publicIds,
      indexOf: o.indexOf,
      levels: o.levels,
      catastrophe: o.catastrophe,
      broadcastId: o.broadcastId,
      ...(tracker
        ? {
          onHeartbeat: (counter: number, atMs: number) => tracker.origin(index, counter, atMs),
          onLearn: (source: number, from: number, to: number, atMs: number) => tracker.learn(source, from, to, atMs),
        }
        : {}),
    });
    const kind = kindOf(o.kind);
    if (!kind.create) {
      throw new RangeError(`member kind '${o.kind}' is not hosted by the harness: it cannot be simulated`);
    }
    return kind.create(o.settings, context);
  }

  #apply(index: number, step: Step, nowMs: number): void {
    if (step.events.length > 0) this.#o.onEvents(index, step.events);
    const sends = step.sends;
    if (sends.length === 0) return;
    const c = this.counters;
    for (let k = 0; k < sends.length; k++) {
      const s = sends[k]!;
      c.sentDatagrams[index]!++;
      c.sentBytes[index]! += s.bytes.length;
      this.#o.send(index, s.to, s.bytes, nowMs);
    }
  }

  /** Arms member `index`'s deadline; one already past runs at `nowMs` (virtual time never goes back). */
  #rearm(index: number, nowMs: number): void {
    if (this.#stopped[index] === 1 || this.#paused[index] === 1 || this.#quiesced) return;
    const next = this.#detectors[index]!.nextDeadlineMs();
    if (next === undefined) return;
    const at = next > nowMs ? next : nowMs;
    const version = ++this.#versions[index]!;
    this.#scheduledAt[index] = at;
    this.#o.queue.push(at, EventKind.Deadline, index, version);
  }

  #cancel(index: number): void {
    this.#versions[index]!++;
    this.#scheduledAt[index] = Infinity;
  }
}
