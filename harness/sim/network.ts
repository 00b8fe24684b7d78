/**
 * The simulated network: the proxy's part of a run in virtual time. Every
 * datagram a member sends to another member's public address is counted in
 * the same {@linkcode ProxyBooks} as the real proxy's and judged by the same
 * pure `judge()` over a {@linkcode FaultState} built as the proxy builds it
 * (`FaultState.initial`). An accepted datagram arrives after a base latency
 * plus the fate's delay (immediate, i.e. reordered, ones after the base
 * latency alone), in `copies` copies, bit flips applied to a copy of the
 * bytes. A datagram to the broadcast address is fanned out to every other
 * member of the sender's subnet, each copy judged on its link, as the
 * proxy's `#fanOut` does.
 *
 * Base latency: {@linkcode BASE_LATENCY_MS} nominal ms, about one loopback
 * hop through the proxy on an idle machine (the real relay adds tens of
 * microseconds to a few hundred). Impairment delays are taken as nominal
 * ms, as the proxy applies them at speed-up 1.
 *
 * @module
 */

import { judge } from "../faults/judge.ts";
import { FaultState } from "../faults/state.ts";
import type { RuleSpec } from "../faults/impairments/rule.ts";
import { ProxyBooks, type ProxyCounters } from "../proxy/books.ts";
import { EventKind, type EventQueue } from "./event_queue.ts";

/** One-way latency of every datagram through the simulated proxy (nominal ms). */
export const BASE_LATENCY_MS = 0.1;

/** Options of {@linkcode SimNetwork}. */
export interface SimNetworkOptions {
  /** Members. */
  readonly members: number;
  /** The run's seed (every rule's streams derive from it). */
  readonly seed: number;
  /** Whole-run Bernoulli loss. */
  readonly loss: number;
  /** Members black-holed from the start. */
  readonly blackholed: readonly number[];
  /** Rules installed for the whole run. */
  readonly rules: readonly RuleSpec[];
  /** Subnet and domain of every member, or null for one subnet. */
  readonly levels: { readonly subnet: readonly number[]; readonly domain: readonly number[] } | null;
  /** Keep per-link counters up to this many members (n² arrays), as the proxy. @default {1000} */
  readonly perLinkCountersUpTo?: number;
  /** One-way base latency (nominal ms). @default {BASE_LATENCY_MS} */
  readonly latencyMs?: number;
}

/** The proxy of a simulated run: fault state, books and delivery scheduling. */
export class SimNetwork {
  /** The injector's state: the fault schedule changes it as the proxy's would be. */
  readonly faults: FaultState;
  /** The proxy's books. */
  readonly books: ProxyBooks;
  /** One-way base latency (nominal ms). */
  readonly latencyMs: number;
  readonly #queue: EventQueue;
  readonly #subnet: Int32Array;
  readonly #domain: Int32Array;
  /** Members of each subnet, ascending (the broadcast fan-out's order). */
  readonly #subnetMembers: Int32Array[];

  /** A network for `options.members` members whose deliveries go into `queue`. */
  constructor(options: SimNetworkOptions, queue: EventQueue) {
    const n = options.members;
    this.faults = FaultState.initial(n, options.seed, {
      loss: options.loss,
      blackholed: options.blackholed,
      rules: options.rules,
    });
    this.books = new ProxyBooks(n, options.perLinkCountersUpTo ?? 1000);
    this.latencyMs = options.latencyMs ?? BASE_LATENCY_MS;
    this.#queue = queue;
    this.#subnet = Int32Array.from(options.levels?.subnet ?? new Array<number>(n).fill(0));
    this.#domain = Int32Array.from(options.levels?.domain ?? new Array<number>(n).fill(0));
    const lists: number[][] = [];
    for (let i = 0; i < n; i++) (lists[this.#subnet[i]!] ??= []).push(i);
    this.#subnetMembers = lists.map((l) => Int32Array.from(l ?? []));
  }

  /** Member `from` sends `bytes` to member `to`'s public address at `nowMs`. */
  unicast(from: number, to: number, bytes: Uint8Array, nowMs: number): void {
    this.books.received(from, to, bytes.length, this.#subnet, this.#domain);
    this.#judge(from, to, bytes, nowMs);
  }

  /** Member `from` sends `bytes` to the broadcast address: one judged copy per other member of its subnet. */
  broadcast(from: number, bytes: Uint8Array, nowMs: number): void {
    const books = this.books;
    books.broadcast(from, bytes.length);
    const fanned = books.member.fannedOutFrom;
    for (const to of this.#subnetMembers[this.#subnet[from]!]!) {
      if (to === from) continue;
      fanned[from]!++;
      this.#judge(from, to, bytes, nowMs);
    }
  }

  /** Counts a copy handed to member `to` (a live member's socket). */
  delivered(from: number, to: number, bytes: number): void {
    this.books.delivered(from, to, bytes);
  }

  /** Counts a copy that reached a killed member: its socket is gone, so the relay's send fails. */
  undeliverable(from: number): void {
    this.books.member.sendErrorsFrom[from]!++;
  }

  /** The books as the proxy reports them (without per-link arrays); `pending` copies are still in flight. */
  counters(pending: number): ProxyCounters {
    return this.books.snapshot({ delayedPending: pending, rules: this.faults.ruleReports(), kernelDrops: null }, false);
  }

  #judge(from: number, to: number, bytes: Uint8Array, nowMs: number): void {
    const { outcome, fate } = judge(this.faults, from, to, bytes.length, nowMs);
    if (outcome !== "accepted") {
      this.books.dropped(outcome, from, to);
      return;
    }
    const delay = this.books.accepted(from, to, fate);
    let payload = bytes;
    if (fate.flipBits.length > 0) {
      payload = bytes.slice();
      for (const bit of fate.flipBits) payload[bit >> 3]! ^= 1 << (bit & 7);
    }
    const at = nowMs + this.latencyMs + delay;
    for (let c = 0; c < fate.copies; c++) this.#queue.push(at, EventKind.Deliver, from, to, payload);
  }
}
