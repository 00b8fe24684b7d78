/**
 * Partitions as pure functions (Jepsen's "grudges"): each builder returns
 * the directed cuts `[from, to]` (datagrams from `from` to `to` are dropped)
 * for members 0..n-1. The proxy installs a list of cuts; healing removes
 * them all.
 *
 * @module
 */

/** A directed cut: datagrams from the first member to the second are dropped. */
export type Cut = readonly [from: number, to: number];

/** Partition shapes a scenario can name. */
export const PARTITION_SHAPES = [
  "halves",
  "majority-minority",
  "isolate",
  "majorities-ring",
  "one-way",
  "bridge",
  "groups",
] as const;
/** One of {@linkcode PARTITION_SHAPES}. */
export type PartitionShape = typeof PARTITION_SHAPES[number];

function checkMembers(n: number): void {
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(`a partition needs at least 2 members: current value is ${n}`);
  }
}

/** Cuts every link between different groups, both ways; members in no group stay connected to all. */
export function groups(n: number, parts: readonly (readonly number[])[]): Cut[] {
  checkMembers(n);
  const groupOf = new Map<number, number>();
  parts.forEach((members, g) => {
    for (const m of members) {
      if (!Number.isInteger(m) || m < 0 || m >= n) throw new RangeError(`member ${m} is not in [0, ${n - 1}]`);
      if (groupOf.has(m)) throw new RangeError(`member ${m} is in two groups of one partition`);
      groupOf.set(m, g);
    }
  });
  const cuts: Cut[] = [];
  for (const [a, ga] of groupOf) {
    for (const [b, gb] of groupOf) if (ga !== gb) cuts.push([a, b]);
  }
  return cuts;
}

/** Two halves (the first floor(n/2) members against the rest). */
export function halves(n: number): Cut[] {
  checkMembers(n);
  const h = Math.floor(n / 2);
  return groups(n, [range(0, h), range(h, n)]);
}

/** A majority (the first floor(n/2)+1 members) against the minority. */
export function majorityMinority(n: number): Cut[] {
  checkMembers(n);
  const m = Math.floor(n / 2) + 1;
  return groups(n, [range(0, m), range(m, n)]);
}

/** One member cut off from everyone, both ways. */
export function isolate(n: number, member: number): Cut[] {
  checkMembers(n);
  return groups(n, [[member], range(0, n).filter((m) => m !== member)]);
}

/**
 * A ring of overlapping majorities: members sit on a ring and each reaches
 * only those within ring distance r, r the smallest radius whose window
 * (2r + 1 members) is a majority. Every member sees a majority; no two see
 * the same one. Cuts are symmetric.
 */
export function majoritiesRing(n: number): Cut[] {
  checkMembers(n);
  const r = Math.ceil((Math.floor(n / 2) + 1 - 1) / 2);
  const cuts: Cut[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const d = Math.min(Math.abs(a - b), n - Math.abs(a - b));
      if (a !== b && d > r) cuts.push([a, b]);
    }
  }
  return cuts;
}

/** A one-way cut: datagrams from `senders` to `receivers` are dropped; the reverse still flows. */
export function oneWay(n: number, senders: readonly number[], receivers: readonly number[]): Cut[] {
  checkMembers(n);
  for (const m of [...senders, ...receivers]) {
    if (!Number.isInteger(m) || m < 0 || m >= n) throw new RangeError(`member ${m} is not in [0, ${n - 1}]`);
  }
  const cuts: Cut[] = [];
  for (const a of senders) for (const b of receivers) if (a !== b) cuts.push([a, b]);
  return cuts;
}

/**
 * Two halves joined by one bridge member that reaches both: members below
 * the middle cannot reach members above it, and the middle member reaches all.
 */
export function bridge(n: number): Cut[] {
  checkMembers(n);
  if (n < 3) throw new RangeError(`a bridge needs at least 3 members: current value is ${n}`);
  const mid = Math.floor(n / 2);
  return groups(n, [range(0, mid), range(mid + 1, n)]);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
