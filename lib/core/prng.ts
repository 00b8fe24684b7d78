/**
 * Seeded pseudo-random numbers. Every random choice in the project draws from
 * a {@linkcode Prng} made here from a recorded seed, so a run can be replayed.
 *
 * The generator is SFC32 (Chris Doty-Humphrey's small fast chaotic PRNG),
 * seeded through SplitMix32 so that nearby seeds give unrelated streams.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Prng = () => number;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Makes a seeded generator.
 *
 * @example
 * ```ts
 * const rng = seededPrng(42);
 * const x = rng(); // same sequence for seed 42 on every machine
 * ```
 */
export function seededPrng(seed: number): Prng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(
      `Cannot seed a generator as 'seed' must be an integer in [0, 4294967295]: current value is ${seed}`,
    );
  }
  const init = splitmix32(seed);
  let a = init(), b = init(), c = init(), d = init();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * Derives an independent 32-bit seed from a run seed and labels (member
 * index, stream name), so each consumer gets its own stream whatever the
 * order in which the streams are used.
 */
export function deriveSeed(
  seed: number,
  ...labels: (string | number)[]
): number {
  // FNV-1a over the seed and labels, then one SplitMix32 step to spread bits.
  let h = 0x811c9dc5;
  const mix = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193);
  };
  mix(String(seed));
  for (const label of labels) mix(String(label));
  return splitmix32(h >>> 0)();
}

/** A uniform integer in [0, n). */
export function randomIndex(rng: Prng, n: number): number {
  return Math.floor(rng() * n);
}
