/**
 * A rule: which links an impairment applies to, in which direction, with
 * what probability (Toxiproxy's "toxicity" and "stream"), and what it did.
 * Each rule draws from its own seeded stream per link, so a seed replays
 * the same decisions for the same traffic on every link, whatever the
 * interleaving across links. The per-link streams and impairment states
 * live in the rule, which lives in the caller's `FaultState`.
 *
 * @module
 */

import { z } from "zod";
import { probabilitySchema } from "../../../lib/core/_validation.ts";
import { ConfigError } from "../../../lib/core/errors.ts";
import { deriveSeed, type Prng, seededPrng } from "../../../lib/core/prng.ts";
import { parseOrThrow } from "../../../lib/core/_validation.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";
import { createImpairment, impairmentSpecSchema } from "./registry.ts";

/** Directions a rule applies in. */
export const DIRECTIONS = ["forward", "both"] as const;
/** One of {@linkcode DIRECTIONS}: `forward` is from→to only, `both` adds to→from. */
export type Direction = typeof DIRECTIONS[number];

/** A rule as written in a scenario or sent to a running proxy. */
export const ruleSpecSchema = z.strictObject({
  /** Name, to change or remove the rule later. */
  id: z.string().min(1).max(64),
  /** Senders (member indices); omitted means every member. */
  from: z.array(z.number().int().min(0)).optional(),
  /** Receivers (member indices); omitted means every member. */
  to: z.array(z.number().int().min(0)).optional(),
  /** Which way the rule applies. @default {"forward"} */
  direction: z.enum(DIRECTIONS).optional(),
  /** Probability the impairment applies to a matching datagram. @default {1} */
  probability: probabilitySchema().optional(),
  /** The impairment. */
  impairment: impairmentSpecSchema,
});
/**
 * A rule as written in a scenario or sent to a running proxy (the input of
 * the rule schema; README.md's Faults section describes its fields).
 *
 * @ignore
 */
export type RuleSpec = z.input<typeof ruleSpecSchema>;

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

/** Checks that a rule names only members in [0, members); the error names `from` or `to`. */
export function checkRuleMembers(spec: RuleSpec, members: number): void {
  for (const field of ["from", "to"] as const) {
    for (const m of spec[field] ?? []) {
      if (m >= members) {
        throw new ConfigError(field, `rule '${spec.id}': '${field}' names member ${m}, not in [0, ${members - 1}]`);
      }
    }
  }
}

/** A compiled rule with its per-link streams, states and counters. */
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
  readonly #links = new Map<number, { rng: Prng; state: unknown }>();
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
  constructor(raw: RuleSpec, members: number, seed: number) {
    const id = (raw as { id?: unknown } | null)?.id;
    const spec = parseOrThrow(ruleSpecSchema, raw, { prefix: typeof id === "string" && id !== "" ? id : "" });
    try {
      checkRuleMembers(spec, members);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${spec.id}.${error.field}`, error.message);
      throw error;
    }
    this.id = spec.id;
    this.spec = spec;
    this.#probability = spec.probability ?? 1;
    this.#impairment = createImpairment(spec.impairment);
    this.#from = spec.from ? new Set(spec.from) : null;
    this.#to = spec.to ? new Set(spec.to) : null;
    this.#both = (spec.direction ?? "forward") === "both";
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
    let link = this.#links.get(packet.link);
    if (!link) {
      link = { rng: seededPrng(deriveSeed(this.#seed, packet.link)), state: this.#impairment.linkState() };
      this.#links.set(packet.link, link);
    }
    const c = this.counters;
    c.matched++;
    if (this.#probability < 1 && link.rng() >= this.#probability) return;
    c.applied++;
    const delay = fate.delayMs;
    const copies = fate.copies;
    const flips = fate.flipBits.length;
    const immediate = fate.immediate;
    this.#impairment.apply(packet, fate, link.rng, link.state);
    if (fate.dropped !== null) c.dropped++;
    if (fate.delayMs > delay) c.delayed++;
    if (fate.copies > copies) c.duplicated++;
    if (fate.flipBits.length > flips) c.corrupted++;
    if (fate.immediate && !immediate) c.reordered++;
  }
}
