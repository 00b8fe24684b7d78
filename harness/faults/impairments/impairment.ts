/**
 * The impairment seam (Toxiproxy's "toxic", netem's qdisc options): one
 * small object per impairment that edits the *fate* of one datagram on one
 * link. The proxy runs a chain of them per datagram; probability, link
 * selection and direction are applied by the shared wrapper in `rule.ts`,
 * never by an impairment itself.
 *
 * Per-link state (a Gilbert-Elliott chain's state, the last delay for
 * correlation, a rate limiter's queue) lives inside the impairment, keyed by
 * link, so every link behaves independently. Randomness comes in as an
 * argument: a seeded stream per rule and link.
 *
 * @module
 */

import type { Prng } from "../../../lib/core/prng.ts";

/** One datagram as an impairment sees it. */
export interface Packet {
  /** Sending member index. */
  readonly from: number;
  /** Receiving member index. */
  readonly to: number;
  /** Link key (`from * n + to`), for per-link state. */
  readonly link: number;
  /** UDP payload bytes. */
  readonly size: number;
  /** Proxy clock (real ms). */
  readonly nowMs: number;
}

/** What happens to a datagram; the chain edits it in order. */
export interface Fate {
  /** The kind that dropped it, or null. */
  dropped: string | null;
  /** Added latency (real ms). */
  delayMs: number;
  /** Copies to deliver (1 + duplicates). */
  copies: number;
  /** Bit positions to flip (indices into the payload's bits). */
  flipBits: number[];
  /** Sent at once, ahead of delayed datagrams (reordered). */
  immediate: boolean;
}

/** A fresh fate: deliver one copy now, untouched. */
export function freshFate(): Fate {
  return { dropped: null, delayMs: 0, copies: 1, flipBits: [], immediate: false };
}

/** One impairment. */
export interface Impairment {
  /** The registry name (`loss`, `delay`, ...). */
  readonly kind: string;
  /** Edits `fate` for `packet`, drawing from `rng` (this rule's stream for this link). */
  apply(packet: Packet, fate: Fate, rng: Prng): void;
}

/** A configuration value of an impairment outside its range. */
export class ImpairmentError extends RangeError {
  /** The field at fault, e.g. `loss.probability`. */
  readonly field: string;
  /**
   * Creates the error.
   * @param field The field at fault.
   */
  constructor(field: string, message: string) {
    super(message);
    this.name = "ImpairmentError";
    this.field = field;
  }
}

/** Checks a probability field. */
export function probabilityField(kind: string, field: string, value: unknown, fallback?: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
    throw new ImpairmentError(
      `${kind}.${field}`,
      `'${kind}.${field}' must be a probability in [0, 1]: current value is ${JSON.stringify(value)}`,
    );
  }
  return v;
}

/** Checks a non-negative number field. */
export function nonNegativeField(kind: string, field: string, value: unknown, fallback?: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
    throw new ImpairmentError(
      `${kind}.${field}`,
      `'${kind}.${field}' must be a finite number >= 0: current value is ${JSON.stringify(value)}`,
    );
  }
  return v;
}

/** Rejects fields an impairment does not know. */
export function onlyFields(kind: string, spec: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(spec)) {
    if (key !== "kind" && !allowed.includes(key)) {
      throw new ImpairmentError(
        `${kind}.${key}`,
        `unknown field '${key}' for impairment '${kind}' (allowed: ${allowed.join(", ")})`,
      );
    }
  }
}
