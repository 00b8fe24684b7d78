/**
 * The {@linkcode Fleet} of real programs, one process per member (the
 * memberlist driver or a Serf agent, through a {@linkcode ExternalLauncher}).
 *
 * - Ports: each member binds a private port and advertises its public port
 *   on the proxy; the fleet chooses both (free for UDP and TCP: the proxy
 *   relays both) and tells the run which public ports to bind.
 * - Start: member 0 first, then the others joining it through the proxy;
 *   once every member's table lists every member alive (memberlist may take
 *   up to a push-pull period to get there after joins at once), the run's
 *   clock starts: `begin` resolves to that instant. Reports from before it
 *   are stamped 0.
 * - Events: each member's reports become detector events keyed by member
 *   index (`events.ts`), timed by the program's own stamp (memberlist) or
 *   their arrival (Serf), relative to the run's start (real time: speed-up 1).
 * - Controls: kill is SIGKILL and restart a new process on the same ports
 *   (it takes effect when the process is spawned: the run then tells the
 *   proxy the member lives again, which its join through the proxy needs;
 *   it joins the first other member that runs and is not paused); pause and
 *   resume are SIGSTOP and SIGCONT; a crash by proxy is the injector's.
 *   Every change of process ids goes to the run (`onPids`).
 * - Counts: the programs' own socket counts are not visible, so every
 *   member counter is declared not measured (null); the proxy's books are
 *   the bandwidth. Each process's CPU and memory are read from `/proc`.
 * - Tables: a periodic `members` query keeps each member's latest table;
 *   `quiesce` reads them once more (until two reads agree), stops recording
 *   events, and freezes every member (SIGSTOP): nothing more is sent, so the
 *   proxy's counts read next are final; the tables are reconciled with the
 *   events in the analysis.
 * - Ends: every process is tethered to the harness (`../os/tethered.ts`), so
 *   none outlives it, whatever signal ends it.
 *
 * @module
 */

import { DETECTOR_EVENT_KINDS } from "../../lib/core/detector.ts";
import { memberPort } from "../../lib/core/member_id.ts";
import type {
  Fleet,
  FleetAction,
  FleetFinal,
  FleetSink,
  FleetView,
  MemberProcessUsage,
  SlowCycle,
} from "../hosting/fleet.ts";
import { SlowCycles } from "../hosting/slow_cycles.ts";
import { FLEET_COUNTERS, type FleetTotals } from "../hosting/fleet.ts";
import { absNowMs } from "../os/clock.ts";
import { processUsage } from "../os/procfs.ts";
import { memberIndexOf, memberName, ReportMapper } from "./events.ts";
import type { ExternalLauncher, ExternalMember } from "./launcher.ts";
import { allocateLoopbackPorts } from "./serf_args.ts";

/** Options of {@linkcode ExternalFleet}. */
export interface ExternalFleetOptions {
  /** Members. */
  readonly members: number;
  /** Starts each member's process. */
  readonly launcher: ExternalLauncher;
  /** First private port (public ports follow at basePort + members), or 0 for any free ports. */
  readonly basePort: number;
  /** Where events and errors go. */
  readonly sink: FleetSink;
  /** Real ms between `members` queries. @default {5000} */
  readonly queryIntervalMs?: number;
  /** Real ms `begin` waits for every table to list every member alive. @default {60000} */
  readonly convergeTimeoutMs?: number;
  /** Members started at once after the first. @default {4} */
  readonly startConcurrency?: number;
}

interface Slot {
  member: ExternalMember | null;
  /** The process id from its spawn until it ended (a member starting up has one before it is ready). */
  pid: number | null;
  spawnedAtMs: number;
  paused: boolean;
  /** Set before a kill or close: the process's end is expected. */
  ending: boolean;
  view: FleetView | null;
  usage: MemberProcessUsage | null;
}

const QUERY_TIMEOUT_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One real program per member. */
export class ExternalFleet implements Fleet {
  readonly size: number;
  privatePorts: number[] = [];
  publicPorts: number[] = [];
  readonly tcp = true;
  readonly #o: ExternalFleetOptions;
  readonly #slots: Slot[];
  readonly #mapper: ReportMapper;
  #startAbsMs = 0;
  #quiesced = false;
  #terminated = false;
  #queryTimer: ReturnType<typeof setInterval> | undefined;
  /** Slow members' stop-and-go cycles (real programs run in real time: speed-up 1). */
  readonly #slow = new SlowCycles(1, (m, stop) => this.control(m, stop ? "pause" : "resume"));

  /** A fleet; nothing runs until {@linkcode begin}. */
  constructor(options: ExternalFleetOptions) {
    this.#o = options;
    this.size = options.members;
    this.#mapper = new ReportMapper(options.members);
    this.#slots = Array.from({ length: options.members }, () => ({
      member: null,
      pid: null,
      spawnedAtMs: 0,
      paused: false,
      ending: false,
      view: null,
      usage: null,
    }));
  }

  /** Builds or finds the program and chooses every port. */
  async bind(): Promise<void> {
    await this.#o.launcher.prepare();
    const n = this.size;
    const ports = this.#o.basePort > 0
      ? Array.from({ length: 2 * n }, (_, i) => this.#o.basePort + i)
      : allocateLoopbackPorts(2 * n);
    this.privatePorts = ports.slice(0, n);
    this.publicPorts = ports.slice(n);
  }

  async begin(publicIds: readonly number[], startAbsMs: number): Promise<number> {
    this.#startAbsMs = startAbsMs;
    this.publicPorts = publicIds.map(memberPort);
    await this.#launch(0);
    const rest = Array.from({ length: this.size - 1 }, (_, i) => i + 1);
    const workers = Array.from({ length: Math.max(1, this.#o.startConcurrency ?? 4) }, async () => {
      for (let m = rest.shift(); m !== undefined; m = rest.shift()) await this.#launch(m);
    });
    await Promise.all(workers);
    await this.#converge();
    this.#startAbsMs = Math.max(startAbsMs, absNowMs());
    const every = this.#o.queryIntervalMs ?? 5000;
    this.#queryTimer = setInterval(() => void this.#queryAll(), every);
    return this.#startAbsMs;
  }

  async control(member: number, action: FleetAction, cycle?: SlowCycle): Promise<number> {
    const slot = this.#slots[member];
    if (!slot) throw new RangeError(`no member ${member}`);
    switch (action) {
      case "slow":
        return this.#slow.start(member, cycle!);
      case "fast":
        return await this.#slow.stop(member);
      case "kill": {
        const m = slot.member;
        if (!m) return absNowMs();
        slot.usage = this.#usageOf(slot);
        slot.ending = true;
        m.kill("SIGKILL");
        const at = absNowMs();
        await m.exited;
        slot.member = null;
        slot.pid = null;
        slot.paused = false;
        this.#reportPids();
        return at;
      }
      case "restart": {
        if (slot.pid !== null) throw new Error(`member ${member} is running: kill it before a restart`);
        let spawned: (atAbsMs: number) => void = () => {};
        const atSpawn = new Promise<number>((resolve) => spawned = resolve);
        const launching = this.#launch(member, spawned);
        // It joins after the run has marked it alive at the proxy; a failure to join ends the run.
        launching.catch((error) => this.#o.sink.onError(error));
        return await Promise.race([atSpawn, launching.then(() => absNowMs())]);
      }
      case "pause":
      case "resume":
        slot.member?.kill(action === "pause" ? "SIGSTOP" : "SIGCONT");
        slot.paused = action === "pause";
        return absNowMs();
    }
  }

  /**
   * Reads every table a last time, until two reads in a row agree (a member
   * still changing its mind is read again, up to three times); stops
   * recording events a moment later (lines written before a read may still
   * be on their way: a Serf monitor is a stream of its own); then stops every
   * member (SIGSTOP), so nothing more is sent and the proxy's counts are final.
   */
  async quiesce(): Promise<void> {
    clearInterval(this.#queryTimer);
    if (this.#quiesced) return;
    for (let round = 0; round < 3; round++) {
      const before = this.#slots.map((s) => s.view?.states.join());
      await this.#queryAll();
      if (round > 0 && this.#slots.every((s, i) => s.view?.states.join() === before[i])) break;
      await sleep(300);
    }
    await sleep(250);
    this.#quiesced = true;
    for (const slot of this.#slots) {
      if (slot.member && !slot.paused) {
        slot.member.kill("SIGSTOP");
        slot.paused = true;
      }
    }
  }

  async stop(): Promise<FleetFinal> {
    this.#quiesced = true;
    clearInterval(this.#queryTimer);
    this.#slow.clear();
    for (const slot of this.#slots) {
      if (slot.paused) slot.member?.kill("SIGCONT");
      slot.paused = false;
    }
    for (const slot of this.#slots) if (slot.member) slot.usage = this.#usageOf(slot);
    await this.#closeAll();
    const totals = Object.fromEntries(FLEET_COUNTERS.map((k) => [k, null])) as unknown as FleetTotals;
    return {
      totals,
      latenessByHost: [],
      faultedHosts: [],
      propagation: null,
      views: this.#slots.map((s) => s.view),
      usage: this.#slots.map((s) => s.usage),
    };
  }

  async terminate(): Promise<void> {
    this.#terminated = true;
    this.#quiesced = true;
    clearInterval(this.#queryTimer);
    const live = this.#slots.filter((s) => s.member);
    for (const s of live) {
      s.ending = true;
      s.member!.kill("SIGKILL");
    }
    await Promise.all(live.map((s) => s.member!.exited));
    for (const s of live) s.member = null;
  }

  /** Starts member `m`, joining the first other member that runs (none for the very first start). */
  async #launch(m: number, spawned?: (atAbsMs: number) => void): Promise<void> {
    const slot = this.#slots[m]!;
    const joinable = this.#slots.findIndex((s, i) => i !== m && s.member !== null && !s.paused);
    const name = memberName(m);
    slot.ending = false;
    slot.spawnedAtMs = absNowMs();
    this.#mapper.forget(m);
    const member = await this.#o.launcher.launch({
      index: m,
      name,
      bindPort: this.privatePorts[m]!,
      advertisePort: this.publicPorts[m]!,
      join: joinable >= 0 ? [this.publicPorts[joinable]!] : [],
      onSpawn: (pid) => {
        slot.pid = pid;
        this.#reportPids();
        spawned?.(absNowMs());
      },
      onReport: (subject, report, atAbsMs) => this.#onReport(m, subject, report, atAbsMs),
    }).catch((error) => {
      slot.pid = null;
      this.#reportPids();
      throw error;
    });
    if (this.#terminated) {
      member.kill("SIGKILL");
      await member.exited;
      return;
    }
    slot.member = member;
    member.exited.then((exit) => {
      if (slot.member !== member) return;
      slot.member = null;
      slot.pid = null;
      if (slot.ending || this.#terminated) return;
      this.#reportPids();
      const how = exit.signal ?? `code ${exit.code}`;
      const tail = member.outputTail().slice(-5).join(" | ");
      this.#o.sink.onError(
        new Error(`member ${m} (${this.#o.launcher.program}) ended on its own (${how})${tail ? `: ${tail}` : ""}`),
      );
    });
  }

  #onReport(observer: number, subject: string, report: Parameters<ReportMapper["map"]>[2], atAbsMs: number): void {
    if (this.#quiesced) return;
    const s = memberIndexOf(subject, this.size);
    const kind = this.#mapper.map(observer, s, report);
    if (kind === null) return;
    const t = Math.max(0, atAbsMs - this.#startAbsMs);
    this.#o.sink.onEvents([observer, DETECTOR_EVENT_KINDS.indexOf(kind), s, t]);
  }

  #reportPids(): void {
    this.#o.sink.onPids?.(this.#slots.map((s) => s.pid));
  }

  /** Waits until every member's table lists every member alive. */
  async #converge(): Promise<void> {
    const deadline = absNowMs() + (this.#o.convergeTimeoutMs ?? 60_000);
    let missing = "";
    while (absNowMs() < deadline && !this.#terminated) {
      await this.#queryAll();
      const short = this.#slots
        .map((s, i) => [i, s.view?.states.filter((x) => x === "alive").length ?? 0] as const)
        .filter(([, alive]) => alive < this.size);
      if (short.length === 0) return;
      missing = short.slice(0, 5).map(([i, alive]) => `member ${i} sees ${alive}`).join(", ");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the ${this.#o.launcher.program}s did not converge (${missing} of ${this.size} alive)`);
  }

  /** Reads every running, unpaused member's table. */
  async #queryAll(): Promise<void> {
    await Promise.all(this.#slots.map(async (slot) => {
      const member = slot.member;
      if (!member || slot.paused) return;
      try {
        const table = await member.members(QUERY_TIMEOUT_MS);
        const states = new Array<string>(this.size).fill("absent");
        for (const entry of table) {
          const i = memberIndexOf(entry.name, this.size);
          if (i >= 0) states[i] = entry.state;
        }
        slot.view = { t: Math.round((absNowMs() - this.#startAbsMs) * 1000) / 1000, states };
      } catch {
        // No answer this time (busy, or stopped meanwhile): keep the last table.
      }
    }));
  }

  #usageOf(slot: Slot): MemberProcessUsage | null {
    const pid = slot.member?.pid;
    const u = pid === undefined ? null : processUsage(pid);
    return u ? { ...u, wallMs: absNowMs() - slot.spawnedAtMs } : slot.usage;
  }

  async #closeAll(): Promise<void> {
    await Promise.all(this.#slots.map(async (slot) => {
      const member = slot.member;
      if (!member) return;
      slot.ending = true;
      await member.close();
      slot.member = null;
      slot.pid = null;
    }));
  }
}
