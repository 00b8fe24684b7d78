/**
 * Catastrophe recovery broadcasts (van Renesse, Minsky & Hayden 1998,
 * section 5). Once per second every member broadcasts its list with
 * probability p(t) = (t / 20)^a, t the seconds since it last heard a
 * broadcast; a broadcast heard resets t for everyone who hears it, so the
 * group's broadcasts form a renewal process. With decisions at t = 1, 2, ...
 * and n independent members, the chance that nobody has broadcast by t is
 *
 *     S(t) = prod_{s=1..t} (1 - p(s))^n,     S(0) = 1,
 *
 * and the mean time between broadcasts is sum_{t>=0} S(t) (p reaches 1 at
 * t = scale, so the sum ends there). The exponent a is chosen so that mean
 * is 10 s; the paper gives a of about 10.4 for 1000 members.
 *
 * @module
 */

/** p(t) = min(1, (t / scale)^a). */
export function broadcastProbability(tSeconds: number, exponent: number, scaleSeconds = 20): number {
  if (!(tSeconds >= 0)) return 0;
  return Math.min(1, Math.pow(tSeconds / scaleSeconds, exponent));
}

/** Mean seconds between broadcasts in a group of `members` deciding once per second. */
export function meanBroadcastIntervalSeconds(members: number, exponent: number, scaleSeconds = 20): number {
  if (!Number.isInteger(members) || members < 1) {
    throw new RangeError(`'members' must be an integer >= 1: current value is ${members}`);
  }
  if (!(exponent > 0 && Number.isFinite(exponent))) {
    throw new RangeError(`'exponent' must be positive: current value is ${exponent}`);
  }
  let logSurvival = 0;
  let mean = 1; // S(0)
  for (let t = 1; t < 10_000; t++) {
    const p = broadcastProbability(t, exponent, scaleSeconds);
    if (p >= 1) break;
    logSurvival += members * Math.log1p(-p);
    const s = Math.exp(logSurvival);
    if (s < 1e-300) break;
    mean += s;
  }
  return mean;
}

/**
 * The exponent a that makes the mean time between broadcasts `meanSeconds`
 * for `members` members (bisection: the mean grows with a).
 */
export function broadcastExponentFor(members: number, meanSeconds = 10, scaleSeconds = 20): number {
  if (!(meanSeconds > 1 && meanSeconds < scaleSeconds)) {
    throw new RangeError(`'meanSeconds' must be in (1, ${scaleSeconds}): current value is ${meanSeconds}`);
  }
  let lo = 1e-3;
  let hi = 1000;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (meanBroadcastIntervalSeconds(members, mid, scaleSeconds) < meanSeconds) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
