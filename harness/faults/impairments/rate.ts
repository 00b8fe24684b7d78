/**
 * Rate limiting (netem `rate R [packetoverhead O]`): each link serialises
 * datagrams at `bytesPerSec`, counting `overheadBytes` per datagram (28 for
 * IPv4 + UDP by default). A datagram waits until the link is free, then
 * takes `(size + overhead) / rate` to send; the wait and the sending time
 * are added to its delay. No datagram is dropped (netem's rate queues too).
 *
 * @module
 */

import { z } from "zod";
import type { Prng } from "../../../lib/core/prng.ts";
import type { Fate, Impairment, Packet } from "./impairment.ts";

/** Spec of {@linkcode RateImpairment}: `{ kind: "rate", bytesPerSec, overheadBytes? }`. */
export const rateSpecSchema = z.strictObject({
  kind: z.literal("rate"),
  /** Link capacity (bytes per real second), > 0. */
  bytesPerSec: z.number().positive().finite(),
  /** Bytes counted per datagram on top of its payload. @default {28} */
  overheadBytes: z.number().min(0).finite().optional(),
});
/** Spec of {@linkcode RateImpairment}. */
export type RateSpec = z.input<typeof rateSpecSchema>;

/** Per-link state: when the link is free again. */
interface BusyLink {
  busyUntil: number;
}

/** Rate limit. */
export class RateImpairment implements Impairment<BusyLink> {
  readonly kind = "rate";
  readonly #rate: number;
  readonly #overhead: number;

  /** Builds from a validated spec. */
  constructor(spec: RateSpec) {
    this.#rate = spec.bytesPerSec;
    this.#overhead = spec.overheadBytes ?? 28;
  }

  linkState(): BusyLink {
    return { busyUntil: 0 };
  }

  apply(packet: Packet, fate: Fate, _rng: Prng, link: BusyLink): void {
    // The datagram reaches the limiter after the delays before it in the chain.
    const arrive = packet.nowMs + fate.delayMs;
    const start = Math.max(arrive, link.busyUntil);
    const done = start + ((packet.size + this.#overhead) / this.#rate) * 1000;
    link.busyUntil = done;
    fate.delayMs += done - arrive;
  }
}
