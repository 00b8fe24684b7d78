/**
 * SWIM's analysis (Das, Gupta and Motivala 2002).
 *
 * @module
 */

/**
 * Expected protocol periods until some member first detects a failure:
 * `1 / (1 - e^(-q_f))`, q_f the fraction of members alive (about 1.58
 * periods when nobody else has failed).
 */
export function swimExpectedDetectionPeriods(qf: number): number {
  if (!(qf > 0 && qf <= 1)) throw new RangeError(`'qf' must be in (0, 1]: current value is ${qf}`);
  return 1 / (1 - Math.exp(-qf));
}

/** Parameters of {@linkcode swimFalsePositiveProbability}. */
export interface SwimFalsePositiveParams {
  /** Fraction of members alive, q_f in (0, 1]. */
  readonly qf: number;
  /** Probability a packet is delivered in time, q_ml in [0, 1]. */
  readonly qml: number;
  /** Members asked for an indirect ping (ping-req), k >= 0. */
  readonly k: number;
}

/**
 * Probability that a healthy member is falsely detected in one protocol
 * period: `q_f (1 - q_ml^2) (1 - q_f q_ml^4)^k e^q_f / (e^q_f - 1)`.
 */
export function swimFalsePositiveProbability({ qf, qml, k }: SwimFalsePositiveParams): number {
  if (!(qf > 0 && qf <= 1)) throw new RangeError(`'qf' must be in (0, 1]: current value is ${qf}`);
  if (!(qml >= 0 && qml <= 1)) throw new RangeError(`'qml' must be in [0, 1]: current value is ${qml}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`'k' must be a non-negative integer: current value is ${k}`);
  return qf * (1 - qml ** 2) * Math.pow(1 - qf * qml ** 4, k) * Math.exp(qf) / (Math.exp(qf) - 1);
}
