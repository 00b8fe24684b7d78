/**
 * A fixed-size log-linear histogram for non-negative values (timer
 * lateness, added latency), so noise readings are aggregated where they
 * are produced instead of logged one by one. Values below 1 are kept to
 * 0.01; above that, buckets grow by 2% (quantile error under 1%).
 *
 * @module
 */

const LINEAR_BUCKETS = 100; // [0, 1) in steps of 0.01
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const LOG_BUCKETS = Math.ceil(Math.log(1e7) / LOG_GROWTH) + 1; // up to 1e7
const BUCKETS = LINEAR_BUCKETS + LOG_BUCKETS;

function bucketOf(value: number): number {
  if (value < 1) return Math.max(0, Math.floor(value * 100));
  return Math.min(
    BUCKETS - 1,
    LINEAR_BUCKETS + Math.floor(Math.log(value) / LOG_GROWTH),
  );
}

function bucketUpper(bucket: number): number {
  if (bucket < LINEAR_BUCKETS) return (bucket + 1) / 100;
  return Math.pow(GROWTH, bucket - LINEAR_BUCKETS + 1);
}

/** Summary statistics of a {@linkcode Histogram}. */
export interface HistogramSummary {
  /** Values recorded. */
  readonly count: number;
  /** Exact mean. */
  readonly mean: number;
  /** Median (bucket upper edge). */
  readonly p50: number;
  /** 99th percentile (bucket upper edge). */
  readonly p99: number;
  /** Exact maximum. */
  readonly max: number;
}

/** A mergeable histogram of non-negative numbers. */
export class Histogram {
  readonly #counts: Float64Array;
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Makes an empty histogram, or one holding serialised bucket counts. */
  constructor(counts?: ArrayLike<number>) {
    this.#counts = new Float64Array(BUCKETS);
    if (counts) this.#absorb(counts, undefined);
  }

  /** Records one value (negative values count as 0). */
  record(value: number): void {
    const v = value > 0 ? value : 0;
    this.#counts[bucketOf(v)]!++;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
  }

  /** Number of values recorded. */
  get count(): number {
    return this.#count;
  }

  /** Largest value recorded (exact). */
  get max(): number {
    return this.#max;
  }

  /** Mean of the values recorded (exact). */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** The q-quantile (0..1), as the upper edge of its bucket capped at max. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b]!;
      if (seen >= rank) return Math.min(bucketUpper(b), this.#max);
    }
    return this.#max;
  }

  /**
   * How many values are at most `x`, counting whole buckets whose upper
   * edge is at most x (so it may undercount by the values in x's bucket).
   */
  countAtMost(x: number): number {
    let n = 0;
    for (let b = 0; b < BUCKETS; b++) {
      if (bucketUpper(b) > x) break;
      n += this.#counts[b]!;
    }
    return n;
  }

  /** Adds another histogram's values into this one. */
  merge(other: Histogram | HistogramData): void {
    const data = other instanceof Histogram ? other.toJSON() : other;
    this.#absorb(data.counts, data);
  }

  #absorb(counts: ArrayLike<number>, data: HistogramData | undefined): void {
    let n = 0;
    let approxSum = 0;
    let top = 0;
    for (let b = 0; b < counts.length && b < BUCKETS; b++) {
      const c = counts[b]!;
      if (c === 0) continue;
      this.#counts[b]! += c;
      n += c;
      approxSum += c * bucketUpper(b);
      top = bucketUpper(b);
    }
    this.#count += n;
    this.#sum += data ? data.sum : approxSum;
    this.#max = Math.max(this.#max, data ? data.max : top);
  }

  /** Summary: count, mean, p50, p99, max. */
  summary(): HistogramSummary {
    return {
      count: this.#count,
      mean: this.mean,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: this.#max,
    };
  }

  /** A plain, structured-clone-friendly form. */
  toJSON(): HistogramData {
    return { counts: Array.from(this.#counts), sum: this.#sum, max: this.#max };
  }

  /** Clears every value. */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#max = 0;
  }
}

/** Serialised {@linkcode Histogram}. */
export interface HistogramData {
  /** Count per bucket. */
  readonly counts: readonly number[];
  /** Exact sum of the values. */
  readonly sum: number;
  /** Exact maximum. */
  readonly max: number;
}
