/**
 * The impairment seam (Toxiproxy's "toxic", netem's qdisc options): one
 * small object per impairment that edits the *fate* of one datagram on one
 * link. The proxy runs a chain of them per datagram; probability, link
 * selection and direction are applied by the shared wrapper in `rule.ts`,
 * never by an impairment itself.
 *
 * An impairment is immutable: per-link state (a Gilbert-Elliott chain's
 * state, the last delay for correlation, a rate limiter's queue) is a plain
 * object the caller creates with `linkState()` and passes back with every
 * datagram of that link, and randomness comes in as an argument (a seeded
 * stream per rule and link). The same code therefore decides for the proxy
 * and for a simulator, each with its own state.
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
  /** Link key (`from * n + to`). */
  readonly link: number;
  /** UDP payload bytes. */
  readonly size: number;
  /** The proxy's clock (real ms) or the simulator's. */
  readonly nowMs: number;
}

/** What happens to a datagram; the chain edits it in order. */
export interface Fate {
  /** The kind that dropped it, or null. */
  dropped: string | null;
  /** Added latency (ms). */
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

/** One impairment; `L` is its per-link state. */
export interface Impairment<L = unknown> {
  /** The registry name (`loss`, `delay`, ...). */
  readonly kind: string;
  /** A fresh state for one link. */
  linkState(): L;
  /** Edits `fate` for `packet`, drawing from `rng` (this rule's stream for this link), updating `link`. */
  apply(packet: Packet, fate: Fate, rng: Prng, link: L): void;
}
