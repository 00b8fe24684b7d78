/**
 * Runs a scenario in virtual time: the same scenario, the same detectors
 * (created through the registry as a shard creates them), the same fault
 * schedule and the same pure per-datagram decision as a run on real
 * sockets, driven by a discrete-event engine (one priority queue of member
 * deadlines, datagram arrivals, fault actions, stats samples and the end)
 * instead of clocks and sockets. It writes the same journal records
 * (`events.jsonl`, header marked `mode: "simulated"`) and ends with the same
 * `analyzeJournal`, so `result.json` has the same schema and every figure
 * the same definition; the noise figures that do not apply to virtual time
 * are listed in `noise.notApplicable`.
 *
 * Virtual time is nominal time (a speed-up has no meaning here). Members
 * have synthetic public addresses `127.0.0.1:20000+i` (the broadcast address
 * follows them); their private ports are recorded as 0. The run ends like a
 * real one: at the end of the schedule members stop ticking, datagrams in
 * flight land for {@linkcode DRAIN_MS} more (replies included), then the
 * books are read; copies still in flight are `delayedPending`.
 *
 * @module
 */

import type { DetectorEvent } from "../../lib/core/detector.ts";
import { formatMemberId, loopbackId, type MemberId } from "../../lib/core/member_id.ts";
import { analyzeJournal } from "../journal/analyze.ts";
import { JOURNAL_VERSION, type JournalLine } from "../journal/records.ts";
import { JournalWriter } from "../journal/writer.ts";
import { EpisodeTracker } from "../metrics/episodes.ts";
import { absNowMs } from "../os/clock.ts";
import { machineFacts, readUdpSnmp, selfUsage } from "../os/readings.ts";
import { faultLine, trackDown } from "../run/execute.ts";
import type { RunResult } from "../run/result.ts";
import { type EndReason, RunFailedError, type RunOptions, type RunProgress } from "../run/run.ts";
import type { Action } from "../faults/schedule.ts";
import { EventKind, EventQueue } from "./event_queue.ts";
import { SimMembers } from "./members.ts";
import { SimNetwork } from "./network.ts";

/** First synthetic public port: member i is `127.0.0.1:(SIM_BASE_PORT + i)`. */
export const SIM_BASE_PORT = 20_000;
/** Nominal ms datagrams in flight may still land after the schedule's end (the real run's drain). */
export const DRAIN_MS = 150;
/**
 * Real ms between stats samples of every member's sent bytes, as a real run's shards take them: the
 * simulator samples every `STATS_INTERVAL_MS × speed-up` nominal ms, the real run's nominal cadence.
 */
export const STATS_INTERVAL_MS = 1000;
/** Journal lines buffered before a write. */
const FLUSH_LINES = 4096;
/** Events between looks at the wall clock (progress, abort, deadline). */
const CHECK_EVERY = 4096;

/**
 * Options of {@linkcode simulateScenario}: those of a real run; `deadlineMs`
 * (wall ms) defaults to none, and progress comes about twice a second of
 * wall time.
 */
export type SimulateOptions = RunOptions;

/** Public addresses of a simulated run's members, by index. */
export function simulatedIds(members: number): MemberId[] {
  return Array.from({ length: members }, (_, i) => loopbackId(SIM_BASE_PORT + i));
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Runs `options.scenario` in the simulator and writes `events.jsonl` and
 * `result.json` to `options.outDir`. Resolves to the result (also when
 * interrupted); rejects with `RunFailedError` when a member failed (the
 * partial result was written).
 */
export async function simulateScenario(options: SimulateOptions): Promise<RunResult> {
  const { scenario: sc, outDir } = options;
  const n = sc.members;
  await Deno.mkdir(outDir, { recursive: true });
  const journal = await JournalWriter.create(`${outDir}/events.jsonl`);
  const wallStart = absNowMs();
  let buffer: JournalLine[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    journal.write(...buffer);
    buffer = [];
  };
  const write = (line: JournalLine) => {
    buffer.push(line);
    if (buffer.length >= FLUSH_LINES) flush();
  };
  write({
    type: "run",
    journalVersion: JOURNAL_VERSION,
    harnessVersion: options.harnessVersion ?? "dev",
    startedAt: new Date().toISOString(),
    machine: machineFacts(),
    scenario: sc,
    before: { snmp: readUdpSnmp(), harness: selfUsage() },
    mode: "simulated",
  });

  const publicIds = simulatedIds(n);
  const firstId = publicIds[0]!;
  const indexOf = new Map(publicIds.map((id, i) => [id, i]));
  const broadcastId = sc.catastrophe ? loopbackId(SIM_BASE_PORT + n) : undefined;
  const queue = new EventQueue(2 * n + 1024);
  const network = new SimNetwork({
    members: n,
    seed: sc.seed,
    loss: sc.loss,
    blackholed: sc.failedMembers,
    rules: sc.impairments,
    levels: sc.topology?.levels ?? null,
    // The journal records the books without per-link arrays (as a real run's): no need to keep them.
    perLinkCountersUpTo: 0,
  }, queue);
  const tracker = sc.episodes ? new EpisodeTracker(sc.episodes) : null;
  let detections = 0;
  const onEvents = (observer: number, events: readonly DetectorEvent[]) => {
    for (const e of events) {
      if (e.kind === "failed") detections++;
      const k = e.member - firstId;
      write({ t: r3(e.atMs), observer, kind: e.kind, subject: k >= 0 && k < n ? k : indexOf.get(e.member) ?? -1 });
    }
  };
  const send = (from: number, to: MemberId, bytes: Uint8Array, nowMs: number) => {
    const k = to - firstId;
    if (k >= 0 && k < n && Number.isInteger(k)) network.unicast(from, k, bytes, nowMs);
    else if (to === broadcastId) network.broadcast(from, bytes, nowMs);
    // Anything else is no address of the proxy's: sent, and lost where no one listens.
  };
  const members = new SimMembers({
    seed: sc.seed,
    kind: sc.detector,
    settings: sc.settings,
    publicIds,
    indexOf,
    levels: sc.topology?.levels ?? null,
    catastrophe: sc.catastrophe
      ? { exponent: sc.catastrophe.exponent, reportAfterMs: sc.catastrophe.reportAfterMs }
      : null,
    broadcastId,
    tracker,
    queue,
    send,
    onEvents,
  });

  write({
    type: "start",
    startAbsMs: wallStart,
    members: publicIds.map((id, i) => ({ index: i, public: formatMemberId(id), privatePort: 0 })),
    proxyUsage: null,
  });
  const down = new Set<number>(sc.failedMembers);
  const paused = new Set<number>();
  for (const member of sc.failedMembers) {
    write({ type: "fault", t: 0, index: -1, fault: "crash", member, how: "failed-from-start" });
  }

  const totalMs = sc.durationMs + sc.recoveryMs;
  sc.actions.forEach((action, i) => queue.push(action.atMs, EventKind.Fault, i, 0));
  const statsEveryMs = STATS_INTERVAL_MS * sc.speedup;
  for (let t = statsEveryMs; t <= totalMs; t += statsEveryMs) queue.push(t, EventKind.Stats, 0, 0);
  queue.push(totalMs, EventKind.End, 0, 0);

  const sentPairs = (): [number, number, number][] => {
    const sent = members.counters.sentBytes;
    const datagrams = members.counters.sentDatagrams;
    const pairs = new Array<[number, number, number]>(n);
    for (let i = 0; i < n; i++) pairs[i] = [i, sent[i]!, datagrams[i]!];
    return pairs;
  };
  const drainEpisodes = (nowMs: number) => {
    if (!tracker) return;
    const records = tracker.drain(nowMs);
    if (records.length === 0) return;
    const flat: number[] = [];
    for (const r of records) flat.push(r.source, r.counter, r.originMs, r.learned, r.maxPropMs);
    write({ type: "episodes", records: flat });
  };
  const deliver = (from: number, to: number, bytes: Uint8Array, nowMs: number) => {
    if (members.isStopped(to)) {
      network.undeliverable(from);
      return;
    }
    network.delivered(from, to, bytes.length);
    members.receive(to, publicIds[from]!, bytes, nowMs);
  };
  const act = (action: Action, nowMs: number) => {
    carryOut(action, network, members, nowMs);
    trackDown(action, down, paused);
    write(faultLine(action, nowMs));
  };

  const deadlineAbs = wallStart + (options.deadlineMs ?? Infinity);
  let reason = null as EndReason | null;
  let fatal: Error | undefined;
  let now = 0;
  let lastLook = performance.now();
  const progress = (phase: RunProgress["phase"]) =>
    options.onProgress?.({
      phase,
      elapsedMs: Math.min(totalMs, now),
      durationMs: totalMs,
      membersUp: n - down.size,
      crashed: down.size,
      detections,
      latenessP99Ms: 0,
    });
  progress("starting");
  /** Every CHECK_EVERY steps: yields to signals and timers about every 250 ms; true when the run must end. */
  const mustStop = async (): Promise<boolean> => {
    if (performance.now() - lastLook < 250) return false;
    lastLook = performance.now();
    progress(now > 0 ? "running" : "starting");
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (options.signal?.aborted) reason = "interrupted";
    else if (absNowMs() > deadlineAbs) reason = "deadline";
    return reason !== null;
  };
  try {
    for (let i = 0; i < n; i++) {
      members.start(i, 0);
      if (i % 256 === 255 && await mustStop()) break;
    }
    let count = 0;
    let ended = false;
    while (reason === null && !ended && queue.pop()) {
      now = queue.time;
      switch (queue.kind) {
        case EventKind.Deadline:
          members.deadline(queue.a, queue.b, now);
          break;
        case EventKind.Deliver:
          deliver(queue.a, queue.b, queue.payload!, now);
          break;
        case EventKind.Fault:
          act(sc.actions[queue.a]!, now);
          break;
        case EventKind.Stats:
          write({ type: "stats", t: r3(now), host: 0, sent: sentPairs(), latenessP99Ms: null, latenessMaxMs: null });
          drainEpisodes(now);
          break;
        case EventKind.End:
          ended = true;
          break;
      }
      if (++count % CHECK_EVERY === 0 && await mustStop()) break;
    }
  } catch (error) {
    fatal = error instanceof Error ? error : new Error(String(error));
    reason = "error";
  }

  // Quiesce: no more ticks; what is in flight lands for DRAIN_MS (and may be answered); the rest stays pending.
  progress("stopping");
  const endMs = now;
  let pending = 0;
  if (reason !== "error") {
    try {
      // Cut short: as a real run, leave no member paused or black-holed.
      if (reason !== null) {
        network.faults.healAll();
        for (const member of paused) members.resume(member, endMs);
      }
      members.quiesce();
      while (queue.peekTime() <= endMs + DRAIN_MS && queue.pop()) {
        if (queue.kind === EventKind.Deliver) deliver(queue.a, queue.b, queue.payload!, queue.time);
      }
    } catch (error) {
      fatal = error instanceof Error ? error : new Error(String(error));
      reason = "error";
    }
  }
  while (queue.pop()) if (queue.kind === EventKind.Deliver) pending++;
  if (reason !== "error") {
    write({ type: "proxy", counters: network.counters(pending) });
    drainEpisodes(endMs);
    write({
      type: "fleet",
      // Virtual sockets drop nothing in the kernel: not measured.
      totals: { ...members.counters.snapshot(), kernelDrops: null },
      latenessByHost: [null],
      faultedHosts: [],
      propagation: tracker ? tracker.propagation.toJSON() : null,
    });
  }
  write({
    type: "end",
    t: r3(endMs),
    reason,
    interrupted: reason === "interrupted",
    error: fatal
      ? (fatal.message || String(fatal))
      : reason === "deadline"
      ? "the simulation passed its deadline"
      : null,
    wallRealMs: absNowMs() - wallStart,
    cores: navigator.hardwareConcurrency,
    after: { snmp: readUdpSnmp(), harness: selfUsage(), proxy: null },
  });
  flush();
  journal.close();

  const { result, episodes } = await analyzeJournal(outDir);
  // One by one: millions of episodes overflow the stack as arguments.
  for (const e of episodes) options.episodeSink?.push(e);
  if (fatal) throw new RunFailedError(`the simulation failed: ${fatal.message}`, result, { cause: fatal });
  return result;
}

/**
 * Carries out one action of the fault schedule, in the order `../run/execute.ts`
 * does: crash, recover, partitions and rules change the injector's state;
 * kill tells the injector first, restart the members first.
 */
function carryOut(action: Action, network: SimNetwork, members: SimMembers, nowMs: number): void {
  const faults = network.faults;
  switch (action.type) {
    case "crash":
      return faults.setBlackhole(action.member, true);
    case "recover":
      return faults.setBlackhole(action.member, false);
    case "pause":
      return members.pause(action.member);
    case "resume":
      return members.resume(action.member, nowMs);
    case "kill":
      faults.setDead(action.member, true);
      return members.kill(action.member);
    case "restart":
      members.restart(action.member, nowMs);
      return faults.setDead(action.member, false);
    case "partition":
      return faults.setPartition(action.cuts);
    case "heal":
      return faults.setPartition([]);
    case "addRule":
      return faults.addRule(action.rule);
    case "removeRule":
      return faults.removeRule(action.id);
  }
}
