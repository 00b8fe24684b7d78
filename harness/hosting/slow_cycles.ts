/**
 * Stop-and-go cycles of slow members, shared by every fleet: a slow member is
 * stopped for a share of every interval, as an overloaded process is.
 *
 * @module
 */
import { absNowMs } from "../os/clock.ts";
import type { SlowCycle } from "./fleet.ts";

interface CycleState {
  timer: ReturnType<typeof setTimeout> | undefined;
  stopped: boolean;
}

/** The running cycles of one fleet; `toggle` stops (`true`) or resumes (`false`) a member. */
export class SlowCycles {
  readonly #cycles = new Map<number, CycleState>();
  readonly #speedup: number;
  readonly #toggle: (member: number, stop: boolean) => Promise<unknown>;

  /** Cycles run in real time at `speedup`. */
  constructor(speedup: number, toggle: (member: number, stop: boolean) => Promise<unknown>) {
    this.#speedup = speedup;
    this.#toggle = toggle;
  }

  /** Starts `member`'s cycle (stopping it first); returns the instant it took effect. */
  start(member: number, cycle: SlowCycle): number {
    const intervalReal = cycle.intervalMs / this.#speedup;
    const state: CycleState = { timer: undefined, stopped: false };
    this.#cycles.set(member, state);
    const step = () => {
      if (this.#cycles.get(member) !== state) return;
      state.stopped = !state.stopped;
      this.#toggle(member, state.stopped).catch(() => {});
      state.timer = setTimeout(
        step,
        (state.stopped ? cycle.stoppedFraction : 1 - cycle.stoppedFraction) * intervalReal,
      );
    };
    step();
    return absNowMs();
  }

  /** Ends `member`'s cycle, resuming it if it is stopped; returns the instant it took effect. */
  async stop(member: number): Promise<number> {
    const state = this.#cycles.get(member);
    this.#cycles.delete(member);
    if (state) {
      clearTimeout(state.timer);
      if (state.stopped) await this.#toggle(member, false);
    }
    return absNowMs();
  }

  /** Ends every cycle without resuming anyone (the fleet is going away). */
  clear(): void {
    for (const state of this.#cycles.values()) clearTimeout(state.timer);
    this.#cycles.clear();
  }
}
