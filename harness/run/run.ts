/**
 * Runs one scenario end to end on real sockets: a fleet hosts the members,
 * the fault injector (the proxy process) stands between them, the fault
 * schedule fires on time, and everything that happens goes into the
 * journal (`events.jsonl`). The figures are then computed from the
 * journal alone (`../journal/analyze.ts`), exactly as `harness analyze`
 * recomputes them later.
 *
 * Output directory: `events.jsonl` (written as the run goes, readable even
 * if the run is killed), `result.json` (written atomically at the end, also
 * after Ctrl-C, marked `complete: false`), `episodes.csv` when measured.
 *
 * @module
 */

import { DETECTOR_EVENT_KINDS } from "../../lib/core/detector.ts";
import { formatMemberId, loopbackId } from "../../lib/core/member_id.ts";
import type { Fleet, FleetSink } from "../hosting/fleet.ts";
import { analyzeJournal } from "../journal/analyze.ts";
import { fleetFor } from "../members/fleet_for.ts";
import type { EpisodeRecord } from "../metrics/episodes.ts";
import { JOURNAL_VERSION } from "../journal/records.ts";
import { JournalWriter } from "../journal/writer.ts";
import { absNowMs, RunClock } from "../os/clock.ts";
import { DeadlineQueue } from "../os/deadline_queue.ts";
import { machineFacts, type ProcessUsage, readUdpSnmp, selfUsage } from "../os/readings.ts";
import type { FaultInjector } from "../proxy/injector.ts";
import { ProxyProcess } from "../proxy/proxy_process.ts";
import { MAX_SOCKET_MEMBERS, type Scenario, ScenarioError } from "../scenario/mod.ts";
import { execute, faultLine, trackDown } from "./execute.ts";
import type { RunResult } from "./result.ts";

/** Live state for a progress display. */
export interface RunProgress {
  /** What the run is doing. */
  readonly phase: "starting" | "running" | "stopping";
  /** Nominal ms since the members started. */
  readonly elapsedMs: number;
  /** Nominal length of the run. */
  readonly durationMs: number;
  /** Members not down so far. */
  readonly membersUp: number;
  /** Members down (crashed, killed or paused) now. */
  readonly crashed: number;
  /** S-transitions reported by members so far. */
  readonly detections: number;
  /** Timer lateness p99 of the latest stats interval (real ms). */
  readonly latenessP99Ms: number;
}

/** Options of {@linkcode runScenario}. */
export interface RunOptions {
  /** The validated scenario to run. */
  readonly scenario: Scenario;
  /** Directory for events.jsonl and result.json (created). */
  readonly outDir: string;
  /** Aborting ends the run early; partial results are still written. */
  readonly signal?: AbortSignal;
  /** Called about twice a second while the run goes. */
  readonly onProgress?: (progress: RunProgress) => void;
  /** Recorded in the result. @default {"dev"} */
  readonly harnessVersion?: string;
  /** Receives every finished episode (merged over shards) when the scenario measures them. */
  readonly episodeSink?: EpisodeRecord[];
  /** Real ms after which the run is cut short (`reason: "deadline"`). @default {runDeadlineMs(scenario)} */
  readonly deadlineMs?: number;
}

/** Settle time after the schedule stops before counters are read (real ms). */
const DRAIN_MS = 150;
/** How long each teardown step may take when the run is cut short (real ms). */
const CUT_STEP_MS = 1000;
/** The whole teardown of a cut-short run (real ms), before its journal is analysed. */
const CUT_TEARDOWN_MS = 2500;
/** How long each teardown step may take after a complete run (real ms). */
const STEP_MS = 20_000;
/** Real ms between readings of the processes' memory and CPU. */
const READINGS_MS = 10_000;

/** Why a run ended early. */
export type EndReason = "interrupted" | "deadline" | "error";

/**
 * The hard deadline of a run (real ms from its start): its nominal length
 * divided by the speed-up, plus max(30 s, 10% of that). A run still going
 * then is overloaded; it stops with `reason: "deadline"`.
 */
export function runDeadlineMs(sc: Pick<Scenario, "durationMs" | "recoveryMs" | "speedup">): number {
  const real = (sc.durationMs + sc.recoveryMs) / sc.speedup;
  return real + Math.max(30_000, 0.1 * real);
}

/** `promise`, or `fallback` after `ms` (the promise's later outcome is ignored). */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.catch(() => fallback),
    new Promise<T>((resolve) => timer = setTimeout(() => resolve(fallback), ms)),
  ]).finally(() => clearTimeout(timer));
}

/** A run that failed part-way: the partial result was still written. */
export class RunFailedError extends Error {
  /** The partial result. */
  readonly result: RunResult;
  /**
   * Creates the error.
   * @param result The partial result that was written.
   */
  constructor(message: string, result: RunResult, options?: ErrorOptions) {
    super(message, options);
    this.name = "RunFailedError";
    this.result = result;
  }
}

/**
 * Runs a scenario and writes its results. Resolves to the result (also when
 * interrupted through `signal`); rejects with {@linkcode RunFailedError}
 * when the harness itself failed after starting, or with the original
 * error (for example `PortInUseError`) when it could not start.
 */
export async function runScenario(options: RunOptions): Promise<RunResult> {
  const { scenario: sc, outDir } = options;
  if (sc.members > MAX_SOCKET_MEMBERS) {
    throw new ScenarioError(
      "members",
      `'members' must be at most ${MAX_SOCKET_MEMBERS} on real sockets (more only simulated): current value is ${sc.members}`,
    );
  }
  await Deno.mkdir(outDir, { recursive: true });
  const journal = await JournalWriter.create(`${outDir}/events.jsonl`);
  const wallStart = absNowMs();
  journal.write({
    type: "run",
    journalVersion: JOURNAL_VERSION,
    harnessVersion: options.harnessVersion ?? "dev",
    startedAt: new Date().toISOString(),
    machine: machineFacts(),
    scenario: sc,
    before: { snmp: readUdpSnmp(), harness: selfUsage() },
  });
  const down = new Set<number>();
  const paused = new Set<number>();
  let fatal: Error | undefined;
  let failFatal: (error: Error) => void = () => {};
  const fatalPromise = new Promise<void>((resolve) => {
    failFatal = (error) => {
      fatal ??= error;
      resolve();
    };
  });
  let clock: RunClock | undefined;
  let injector: FaultInjector | undefined;
  let detections = 0;
  let lastLateness = 0;
  let interrupted = false;
  const timeline = new DeadlineQueue<() => void>((fire) => fire());
  let reason: EndReason | null = null;
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  const totalMs = sc.durationMs + sc.recoveryMs;
  const progress = (phase: RunProgress["phase"]) =>
    options.onProgress?.({
      phase,
      elapsedMs: clock ? Math.max(0, Math.min(totalMs, clock.nominalNow())) : 0,
      durationMs: totalMs,
      membersUp: sc.members - down.size,
      crashed: down.size,
      detections,
      latenessP99Ms: lastLateness,
    });
  const failedCode = DETECTOR_EVENT_KINDS.indexOf("failed");
  const sink: FleetSink = {
    onEvents: (flat) => {
      const lines = [];
      for (let i = 0; i < flat.length; i += 4) {
        if (flat[i + 1] === failedCode) detections++;
        lines.push({
          t: r3(flat[i + 3]!),
          observer: flat[i]!,
          kind: DETECTOR_EVENT_KINDS[flat[i + 1]!]!,
          subject: flat[i + 2]!,
        });
      }
      journal.write(...lines);
    },
    onStats: (st) => {
      if (!clock) return;
      journal.write({
        type: "stats",
        t: r3(clock.toNominal(st.atAbsMs)),
        host: st.host,
        sent: st.sentBytes
          ? [...st.sentBytes].map(([index, bytes]) => [index, bytes, st.sentDatagrams?.get(index) ?? 0] as const)
          : null,
        latenessP99Ms: st.lateness?.p99 ?? null,
        latenessMaxMs: st.lateness?.max ?? null,
      });
      if (st.lateness) lastLateness = st.lateness.p99;
    },
    onEpisodes: (records) => journal.write({ type: "episodes", records: [...records] }),
    onError: failFatal,
    onPids: (pids) => void injector?.setMemberPids(pids).catch(() => {}),
  };
  const fleet: Fleet = fleetFor(sc, sink);

  try {
    progress("starting");
    await fleet.bind();
    injector = await ProxyProcess.start({
      blackholed: sc.failedMembers,
      rules: sc.impairments,
      memberPorts: fleet.privatePorts,
      publicPorts: fleet.publicPorts ?? (sc.basePort > 0 ? fleet.privatePorts.map((p) => p + sc.members) : []),
      tcp: fleet.tcp === true,
      ...(sc.basePort > 0 && sc.catastrophe ? { broadcastPort: sc.basePort + 2 * sc.members } : {}),
      seed: sc.seed,
      loss: sc.loss,
      ...(sc.topology ? { levels: sc.topology.levels } : {}),
      broadcast: sc.catastrophe !== null,
    });
    const proxyUsage = await injector.usage();
    const publicIds = injector.publicPorts.map((port) => loopbackId(port));
    let startAbs = absNowMs() + 100;
    clock = new RunClock(startAbs, sc.speedup);
    const began = await fleet.begin(
      publicIds,
      startAbs,
      injector.broadcastPort > 0 ? loopbackId(injector.broadcastPort) : undefined,
    );
    // Real programs start the clock once they have found each other: the schedule and the deadline move with it.
    const startDelay = typeof began === "number" ? Math.max(0, began - startAbs) : 0;
    if (startDelay > 0) clock = new RunClock(startAbs = began as number, sc.speedup);
    const proxyAtStart = startDelay > 0 ? await injector.counters({ links: false }) : undefined;
    journal.write({
      type: "start",
      startAbsMs: startAbs,
      members: publicIds.map((id, i) => ({
        index: i,
        public: formatMemberId(id),
        privatePort: fleet.privatePorts[i]!,
      })),
      proxyUsage,
      ...(proxyAtStart ? { proxyAtStart } : {}),
    });
    for (const member of sc.failedMembers) {
      down.add(member);
      journal.write({ type: "fault", t: 0, index: -1, fault: "crash", member, how: "failed-from-start" });
    }

    // The fault schedule: each action at its time, in order; heals sort first at equal times.
    let chain = Promise.resolve();
    for (const action of sc.actions) {
      timeline.push(clock.toAbs(action.atMs), () => {
        chain = chain.then(async () => {
          try {
            const at = await execute(action, fleet, injector!);
            trackDown(action, down, paused);
            journal.write(faultLine(action, clock!.toNominal(at)));
          } catch (error) {
            failFatal(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
    }

    let reading = false;
    let lastReading = absNowMs();
    progressTimer = setInterval(() => {
      progress("running");
      // Memory and CPU over time (what a soak watches): every 10 s, never two readings at once.
      if (reading || absNowMs() - lastReading < READINGS_MS) return;
      reading = true;
      lastReading = absNowMs();
      const harness = selfUsage();
      within(injector!.usage(), 2000, null).then((proxy) => {
        journal.write({ type: "readings", t: r3(clock!.nominalNow()), harness, proxy });
      }).finally(() => reading = false);
    }, 500);
    const aborted = new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    const ended = new Promise<"end" | "deadline">((resolve) => {
      timeline.push(clock!.toAbs(totalMs), () => resolve("end"));
      timeline.push(wallStart + startDelay + (options.deadlineMs ?? runDeadlineMs(sc)), () => resolve("deadline"));
    });
    const how = await Promise.race([
      ended,
      aborted.then(() => "abort" as const),
      fatalPromise.then(() => "fatal" as const),
    ]);
    if (how === "deadline") reason = "deadline";
    interrupted = options.signal?.aborted === true && !fatal;
    if (interrupted) reason = "interrupted";
  } catch (error) {
    fatal ??= error instanceof Error ? error : new Error(String(error));
  } finally {
    clearInterval(progressTimer);
    timeline.stop();
  }
  if (fatal) reason = "error";
  // Cut short: every teardown step gets a short budget, so the run ends within seconds whatever the load.
  // A cut-short run's whole teardown shares one budget, so it ends within seconds of the signal.
  const cutEnd = absNowMs() + CUT_TEARDOWN_MS;
  const step = () => reason === null ? STEP_MS : Math.max(50, Math.min(CUT_STEP_MS, cutEnd - absNowMs()));
  // An interrupted or failed run still leaves no member paused or black-holed.
  if (clock && reason !== null) {
    if (injector) await within(injector.healAll(), step(), 0);
    await within(Promise.all([...paused].map((m) => fleet.control(m, "resume"))), step(), []);
  }

  // Tear down: stop the schedule, let in-flight datagrams land, read the counts, close everything.
  progress("stopping");
  let endNominal = clock?.nominalNow() ?? 0;
  let proxyAfter: ProcessUsage | null = null;
  try {
    if (clock && reason !== "error") {
      await within(fleet.quiesce(), step(), undefined);
      endNominal = clock.nominalNow();
      if (reason === null) await sleep(DRAIN_MS);
      const counters = injector ? await within(injector.counters({ links: false }), step(), null) : null;
      if (counters) journal.write({ type: "proxy", counters });
      proxyAfter = injector ? await within(injector.usage(), step(), null) : null;
      const final = await within(fleet.stop(), step(), null);
      if (final) journal.write({ type: "fleet", ...final });
    }
  } catch (error) {
    fatal ??= error instanceof Error ? error : new Error(String(error));
    reason = "error";
  }
  const harnessAfter = selfUsage();
  await within(fleet.terminate(), step(), undefined);
  if (injector) await within(injector.close(), step(), undefined);
  if (fatal) reason = "error";
  journal.write({
    type: "end",
    t: r3(endNominal),
    reason,
    interrupted,
    error: fatal
      ? (fatal.message || String(fatal))
      : reason === "deadline"
      ? "the run passed its deadline (overloaded)"
      : null,
    wallRealMs: absNowMs() - wallStart,
    cores: navigator.hardwareConcurrency,
    after: { snmp: readUdpSnmp(), harness: harnessAfter, proxy: proxyAfter },
  });
  journal.close();

  if (!clock) {
    // Nothing ran (bad port, spawn failure): no result to write.
    throw fatal ?? new Error("the run did not start");
  }
  const { result, episodes } = await analyzeJournal(outDir);
  // One by one: millions of episodes overflow the stack as arguments.
  for (const e of episodes) options.episodeSink?.push(e);
  if (fatal) throw new RunFailedError(`the run failed: ${fatal.message}`, result, { cause: fatal });
  return result;
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
