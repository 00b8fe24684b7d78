/**
 * Private helpers of the Serf agent: a promise raced against a timer.
 *
 * @module
 */

/** What {@linkcode raceTimeout} resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** `promise`, or {@linkcode TIMED_OUT} if it has not settled within `ms`; the timer is cleared either way. */
export async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => timer = setTimeout(() => resolve(TIMED_OUT), ms));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or a rejection with `Error(what)` if it has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const result = await raceTimeout(promise, ms);
  if (result === TIMED_OUT) throw new Error(what);
  return result;
}
