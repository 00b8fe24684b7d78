// The SWIM detector's private data structures against the naive code they replace, on seeded random
// operations: the deadline heap against a scan, the rank set against filter-and-splice, the piggyback
// queue against sort-by-transmissions-left, the slot table against a Map.
import { assertEquals } from "@std/assert";
import { type Prng, randomIndex, seededPrng } from "../lib/core/prng.ts";
import { SwimStatus, type SwimUpdate } from "../lib/swim/codec.ts";
import { DeadlineHeap } from "../lib/swim/_deadline_heap.ts";
import { PiggybackQueue } from "../lib/swim/_piggyback_queue.ts";
import { RankSet } from "../lib/swim/_rank_set.ts";
import { SlotTable } from "../lib/swim/_slot_table.ts";

Deno.test("DeadlineHeap gives the earliest deadline (ties by slot) through sets, moves and deletes", () => {
  const rng = seededPrng(1);
  const heap = new DeadlineHeap(4);
  const naive = new Map<number, number>();
  let capacity = 4;
  for (let step = 0; step < 20_000; step++) {
    if (step % 2000 === 1999) heap.grow(capacity *= 2);
    const slot = randomIndex(rng, capacity);
    const r = rng();
    if (r < 0.5) {
      const at = Math.floor(rng() * 50);
      heap.set(slot, at);
      naive.set(slot, at);
    } else if (r < 0.8) {
      heap.delete(slot);
      naive.delete(slot);
    } else if (naive.size > 0) {
      const [bestSlot, bestAt] = [...naive].reduce((a, b) => (b[1] < a[1] || (b[1] === a[1] && b[0] < a[0]) ? b : a));
      assertEquals([heap.peekSlot(), heap.peekTime()], [bestSlot, bestAt]);
      heap.delete(bestSlot);
      naive.delete(bestSlot);
    }
    assertEquals(heap.size, naive.size);
    if (naive.size === 0) assertEquals(heap.peekTime(), Infinity);
  }
});

Deno.test("RankSet.nth() draws what splicing a random index out of the filtered list draws", () => {
  const rng = seededPrng(2);
  let capacity = 8;
  let used = 5;
  const member = new Uint8Array(1024);
  const set = new RankSet(capacity);
  for (let s = 0; s < used; s++) {
    member[s] = 1;
    set.add(s, 1);
  }
  for (let step = 0; step < 3000; step++) {
    const r = rng();
    if (r < 0.1 && used < 1000) {
      if (used === capacity) set.grow(capacity *= 2, (s) => member[s] === 1, used);
      member[used] = 1;
      set.add(used++, 1);
    } else if (r < 0.6) {
      const s = randomIndex(rng, used);
      member[s] = 1 - member[s]!;
      set.add(s, member[s] ? 1 : -1);
    } else {
      const list = Array.from({ length: used }, (_, s) => s).filter((s) => member[s] === 1);
      const a = seededPrng(step), b = seededPrng(step);
      const expected: number[] = [];
      for (let i = 0; i < 3 && list.length > 0; i++) expected.push(list.splice(randomIndex(a, list.length), 1)[0]!);
      const got: number[] = [];
      for (let i = 0; i < 3 && set.size > 0; i++) {
        const s = set.nth(randomIndex(b, set.size));
        set.add(s, -1);
        got.push(s);
      }
      for (const s of got) set.add(s, 1);
      assertEquals(got, expected);
    }
  }
});

/** The queue as the original detector kept it: a Map in insertion order, sorted on every take. */
class NaiveQueue {
  readonly #map = new Map<number, { update: SwimUpdate; left: number }>();
  enqueue(key: number, update: SwimUpdate, transmits: number) {
    this.#map.set(key, { update, left: transmits });
  }
  take(max: number, first: number): SwimUpdate[] {
    const all = [...this.#map.entries()].sort((a, b) => b[1].left - a[1].left);
    const own = all.findIndex(([k, p]) => k === first && p.update.status === SwimStatus.Suspect);
    if (own > 0) all.unshift(...all.splice(own, 1));
    const picked = all.slice(0, max);
    for (const [k, p] of picked) if (--p.left <= 0) this.#map.delete(k);
    return picked.map(([, p]) => p.update);
  }
}

Deno.test("PiggybackQueue takes what the original sort-by-transmissions-left took, buddy first", () => {
  const rng: Prng = seededPrng(3);
  const queue = new PiggybackQueue();
  const naive = new NaiveQueue();
  for (let step = 0; step < 20_000; step++) {
    const key = randomIndex(rng, 60);
    if (rng() < 0.3) {
      const update = {
        member: 1000 + key,
        incarnation: randomIndex(rng, 9),
        status: randomIndex(rng, 3) as SwimStatus,
      };
      const transmits = 1 + randomIndex(rng, 6);
      queue.enqueue(key, update.member, update.incarnation, update.status, transmits);
      naive.enqueue(key, update, transmits);
    } else {
      const max = randomIndex(rng, 5);
      const first = rng() < 0.5 ? key : -1;
      assertEquals(queue.take(max, first), naive.take(max, first));
    }
  }
});

Deno.test("SlotTable maps ids to slots like a Map, through growth", () => {
  const rng = seededPrng(4);
  const table = new SlotTable(2);
  const naive = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    const id = (0x7f000001 + randomIndex(rng, 4)) * 65536 + 1 + randomIndex(rng, 3000);
    if (!naive.has(id)) {
      table.add(id, naive.size);
      naive.set(id, naive.size);
    }
    const probe = (0x7f000001 + randomIndex(rng, 4)) * 65536 + 1 + randomIndex(rng, 3000);
    assertEquals(table.get(probe), naive.get(probe) ?? -1);
  }
  assertEquals(table.size, naive.size);
  assertEquals(table.get(0), -1);
});
