/**
 * A rule: which links an impairment applies to, in which direction, with
 * what probability (Toxiproxy's "toxicity" and "stream"), and its counters.
 * Each rule draws from its own seeded stream per link, so a seed replays
 * the same decisions for the same traffic on every link, whatever the
 * interleaving across links.
 *
 * @module
 */

import { deriveSeed, type Prng, seededPrng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";
import { ImpairmentError, probabilityField } from "./impairment.ts";
import { createImpairment, type ImpairmentSpec } from "./registry.ts";

/** Directions a rule applies in. */
export const DIRECTIONS = ["forward", "both"] as const;
/** One of {@linkcode DIRECTIONS}: `forward` is from→to only, `both` adds to→from. */
export type Direction = typeof DIRECTIONS[number];

/** A rule as written in a scenario or sent to a running proxy. */
export interface RuleSpec {
  /** Name, to change or remove the rule later. */
  readonly id: string;
  /** Senders (member indices); omitted means every member. */
  readonly from?: readonly number[];
  /** Receivers (member indices); omitted means every member. */
  readonly to?: readonly number[];
  /** Which way the rule applies. @default {"forward"} */
  readonly direction?: Direction;
  /** Probability the impairment applies to a matching datagram. @default {1} */
  readonly probability?: number;
  /** The impairment. */
  readonly impairment: ImpairmentSpec;
}

/** What a rule did. */
export interface RuleCounters {
  /** Datagrams on a link the rule selects. */
  matched: number;
  /** Of those, datagrams the probability let through to the impairment. */
  applied: number;
  /** Dropped by this rule. */
  dropped: number;
  /** Given added delay by this rule. */
  delayed: number;
  /** Given an extra copy by this rule. */
  duplicated: number;
  /** Given bit flips by this rule. */
  corrupted: number;
  /** Sent ahead of the queue by this rule. */
  reordered: number;
}

/** A compiled rule. */
export class Rule {
  /** The rule's name. */
  readonly id: string;
  /** The spec it was built from. */
  readonly spec: RuleSpec;
  readonly #impairment: Impairment;
  readonly #from: Set<number> | null;
  readonly #to: Set<number> | null;
  readonly #both: boolean;
  readonly #probability: number;
  readonly #seed: number;
  readonly #streams = new Map<number, Prng>();
  /** What the rule did so far. */
  readonly counters: RuleCounters = {
    matched: 0,
    applied: 0,
    dropped: 0,
    delayed: 0,
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
  };

  /** Validates the spec against `members` and builds the rule; `seed` is the run's seed. */
  constructor(spec: RuleSpec, members: number, seed: number) {
    if (typeof spec.id !== "string" || spec.id === "") {
      throw new ImpairmentError("id", `a rule needs a non-empty 'id': current value is ${JSON.stringify(spec.id)}`);
    }
    for (const field of ["from", "to"] as const) {
      for (const m of spec[field] ?? []) {
        if (!Number.isInteger(m) || m < 0 || m >= members) {
          throw new ImpairmentError(
            `${spec.id}.${field}`,
            `rule '${spec.id}': '${field}' names member ${m}, not in [0, ${members - 1}]`,
          );
        }
      }
    }
    const direction = spec.direction ?? "forward";
    if (!DIRECTIONS.includes(direction)) {
      throw new ImpairmentError(
        `${spec.id}.direction`,
        `rule '${spec.id}': 'direction' must be one of ${DIRECTIONS.join(", ")}: current value is ${
          JSON.stringify(direction)
        }`,
      );
    }
    this.id = spec.id;
    this.spec = spec;
    this.#probability = probabilityField(spec.id, "probability", spec.probability, 1);
    this.#impairment = createImpairment(spec.impairment);
    this.#from = spec.from ? new Set(spec.from) : null;
    this.#to = spec.to ? new Set(spec.to) : null;
    this.#both = direction === "both";
    this.#seed = deriveSeed(seed, "rule", spec.id);
  }

  /** The impairment's kind. */
  get kind(): string {
    return this.#impairment.kind;
  }

  /** Whether the rule selects the link from→to. */
  matches(from: number, to: number): boolean {
    const forward = (this.#from === null || this.#from.has(from)) && (this.#to === null || this.#to.has(to));
    if (forward || !this.#both) return forward;
    return (this.#from === null || this.#from.has(to)) && (this.#to === null || this.#to.has(from));
  }

  /** Applies the rule to a datagram on a link it matches, counting what it did. */
  apply(packet: Packet, fate: Fate): void {
    let rng = this.#streams.get(packet.link);
    if (!rng) this.#streams.set(packet.link, rng = seededPrng(deriveSeed(this.#seed, packet.link)));
    const c = this.counters;
    c.matched++;
    if (this.#probability < 1 && rng() >= this.#probability) return;
    c.applied++;
    const before = { delay: fate.delayMs, copies: fate.copies, flips: fate.flipBits.length, immediate: fate.immediate };
    this.#impairment.apply(packet, fate, rng);
    if (fate.dropped !== null) c.dropped++;
    if (fate.delayMs > before.delay) c.delayed++;
    if (fate.copies > before.copies) c.duplicated++;
    if (fate.flipBits.length > before.flips) c.corrupted++;
    if (fate.immediate && !before.immediate) c.reordered++;
  }
}
