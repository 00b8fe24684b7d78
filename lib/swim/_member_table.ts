// SWIM's member table, by slot (order of first appearance; self has none):
// ids, incarnations and statuses in typed arrays that grow by doubling, the
// alive and alive-or-suspected rank sets (random draws by rank), suspicion
// deadlines in an indexed heap, and the shuffled round-robin probe order.
// Private to lib/swim.

import type { MemberId } from "../core/member_id.ts";
import { type Prng, randomIndex } from "../core/prng.ts";
import { SwimStatus } from "./codec.ts";
import { DeadlineHeap } from "./_deadline_heap.ts";
import { RankSet } from "./_rank_set.ts";
import type { SlotTable } from "./_slot_table.ts";

/** The member table of one SWIM detector. */
export class MemberTable {
  /** Slot of a member id (-1: unknown). */
  readonly slotOf: SlotTable;
  /** Members held. */
  count = 0;
  ids: Float64Array;
  incarnations: Uint32Array;
  status: Uint8Array;
  /** Suspicion deadlines by slot. */
  readonly deadlines: DeadlineHeap;
  /** Alive members (helpers for ping-req). */
  readonly alive: RankSet;
  /** Alive or suspected members (separate-gossip targets), when separate gossip is on. */
  readonly live: RankSet | undefined;
  #capacity: number;
  /** Probe order: a shuffle of slots, taken from the end. */
  #order: Int32Array;
  #orderLength = 0;
  readonly #rng: Prng;
  readonly #onLeaveSuspect: (slot: number) => void;

  constructor(
    initial: readonly MemberId[],
    slotOf: SlotTable,
    rng: Prng,
    withLive: boolean,
    onLeaveSuspect: (slot: number) => void,
  ) {
    this.slotOf = slotOf;
    this.#rng = rng;
    this.#onLeaveSuspect = onLeaveSuspect;
    this.count = initial.length;
    this.#capacity = Math.max(4, initial.length);
    this.ids = new Float64Array(this.#capacity);
    this.incarnations = new Uint32Array(this.#capacity);
    this.status = new Uint8Array(this.#capacity);
    this.#order = new Int32Array(this.#capacity);
    this.deadlines = new DeadlineHeap(this.#capacity);
    this.alive = new RankSet(this.#capacity);
    this.live = withLive ? new RankSet(this.#capacity) : undefined;
    initial.forEach((m, slot) => {
      this.ids[slot] = m;
      this.alive.add(slot, 1);
      this.live?.add(slot, 1);
    });
  }

  #grow(): void {
    const next = 2 * this.#capacity;
    const widen = <T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T) => {
      const b = make(next);
      b.set(a);
      return b;
    };
    this.ids = widen(this.ids, (n) => new Float64Array(n));
    this.incarnations = widen(this.incarnations, (n) => new Uint32Array(n));
    this.status = widen(this.status, (n) => new Uint8Array(n));
    this.#order = widen(this.#order, (n) => new Int32Array(n));
    this.deadlines.grow(next);
    const status = this.status;
    this.alive.grow(next, (s) => status[s] === SwimStatus.Alive, this.count);
    this.live?.grow(next, (s) => status[s] !== SwimStatus.Dead, this.count);
    this.#capacity = next;
  }

  /** Adds an alive member; returns its slot. */
  add(member: MemberId, inc: number): number {
    if (this.count === this.#capacity) this.#grow();
    const slot = this.count++;
    this.slotOf.add(member, slot);
    this.ids[slot] = member;
    this.incarnations[slot] = inc;
    this.status[slot] = SwimStatus.Alive;
    this.alive.add(slot, 1);
    this.live?.add(slot, 1);
    return slot;
  }

  /** Moves a member to status `to`, keeping the rank sets and suspicion deadlines in step. */
  setStatus(slot: number, to: SwimStatus): void {
    const from = this.status[slot]!;
    if (from === to) return;
    this.status[slot] = to;
    if (from === SwimStatus.Alive) this.alive.add(slot, -1);
    else if (to === SwimStatus.Alive) this.alive.add(slot, 1);
    if (from === SwimStatus.Dead) this.live?.add(slot, 1);
    else if (to === SwimStatus.Dead) this.live?.add(slot, -1);
    if (to !== SwimStatus.Suspect) {
      this.deadlines.delete(slot);
      this.#onLeaveSuspect(slot);
    }
  }

  /** The next member to probe (round-robin over a fresh shuffle of every known member), or -1. */
  nextTarget(): number {
    const status = this.status;
    for (let tries = 0; tries < 2; tries++) {
      while (this.#orderLength > 0) {
        const slot = this.#order[--this.#orderLength]!;
        if (status[slot] !== SwimStatus.Dead) return slot;
      }
      // Round-robin over a fresh shuffle (Fisher-Yates) of every known member, as SWIM prescribes.
      const order = this.#order;
      for (let i = 0; i < this.count; i++) order[i] = i;
      for (let i = this.count - 1; i > 0; i--) {
        const j = randomIndex(this.#rng, i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      this.#orderLength = this.count;
    }
    return -1;
  }

  /** Draws up to `k` distinct members of `set` (but not `except`), like repeated splices from the list. */
  draw(set: RankSet, k: number, except: number): number[] {
    const picked: number[] = [];
    const status = this.status;
    const skip = except >= 0 &&
      (set === this.alive ? status[except] === SwimStatus.Alive : status[except] !== SwimStatus.Dead);
    if (skip) set.add(except, -1);
    for (let i = 0; i < k && set.size > 0; i++) {
      const slot = set.nth(randomIndex(this.#rng, set.size));
      set.add(slot, -1);
      picked.push(slot);
    }
    for (const slot of picked) set.add(slot, 1);
    if (skip) set.add(except, 1);
    return picked;
  }
}
