/**
 * Rate limiting (netem `rate R [packetoverhead O]`): each link serialises
 * datagrams at `bytesPerSec`, counting `overheadBytes` per datagram (28 for
 * IPv4 + UDP by default). A datagram waits until the link is free, then
 * takes `(size + overhead) / rate` to send; the wait and the sending time
 * are added to its delay. No datagram is dropped (netem's rate queues too).
 *
 * @module
 */

import type { Prng } from "../../../lib/core/prng.ts";
import {
  type Fate,
  type Impairment,
  ImpairmentError,
  nonNegativeField,
  onlyFields,
  type Packet,
} from "./impairment.ts";

/** Spec of {@linkcode RateImpairment}. */
export interface RateSpec {
  /** The registry name. */
  readonly kind: "rate";
  /** Link capacity (bytes per real second), > 0. */
  readonly bytesPerSec: number;
  /** Bytes counted per datagram on top of its payload. @default {28} */
  readonly overheadBytes?: number;
}

/** Rate limit. */
export class RateImpairment implements Impairment {
  readonly kind = "rate";
  readonly #rate: number;
  readonly #overhead: number;
  readonly #busyUntil = new Map<number, number>();

  /** Validates and builds. */
  constructor(spec: RateSpec) {
    onlyFields(this.kind, spec as unknown as Record<string, unknown>, ["bytesPerSec", "overheadBytes"]);
    if (typeof spec.bytesPerSec !== "number" || !(spec.bytesPerSec > 0) || !Number.isFinite(spec.bytesPerSec)) {
      throw new ImpairmentError(
        "rate.bytesPerSec",
        `'rate.bytesPerSec' must be a finite number > 0: current value is ${JSON.stringify(spec.bytesPerSec)}`,
      );
    }
    this.#rate = spec.bytesPerSec;
    this.#overhead = nonNegativeField(this.kind, "overheadBytes", spec.overheadBytes, 28);
  }

  apply(packet: Packet, fate: Fate, _rng: Prng): void {
    // The datagram reaches the limiter after the delays before it in the chain.
    const arrive = packet.nowMs + fate.delayMs;
    const start = Math.max(arrive, this.#busyUntil.get(packet.link) ?? 0);
    const done = start + ((packet.size + this.#overhead) / this.#rate) * 1000;
    this.#busyUntil.set(packet.link, done);
    fate.delayMs += done - arrive;
  }
}
