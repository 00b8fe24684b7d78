/**
 * The harness's one notion of time. All processes of a run share the
 * machine's clock, so absolute epoch milliseconds (with sub-millisecond
 * precision) are comparable between the coordinator, the shard workers and
 * the proxy process.
 *
 * @module
 */

/** Epoch milliseconds, sub-millisecond precision, monotonic within a process. */
export function absNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Converts between real time and the nominal time a time-compressed run
 * presents to the detectors: `nominal = (real - start) * speedup`.
 */
export class RunClock {
  constructor(readonly startAbsMs: number, readonly speedup: number) {}

  /** Nominal milliseconds since the run started. */
  nominalNow(): number {
    return (absNowMs() - this.startAbsMs) * this.speedup;
  }

  /** Nominal milliseconds of an absolute instant. */
  toNominal(absMs: number): number {
    return (absMs - this.startAbsMs) * this.speedup;
  }

  /** The absolute instant of a nominal time. */
  toAbs(nominalMs: number): number {
    return this.startAbsMs + nominalMs / this.speedup;
  }
}
