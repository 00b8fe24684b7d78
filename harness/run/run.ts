/**
 * Runs one scenario end to end on real sockets: shard workers host the
 * members, the proxy process stands between them, the fault schedule fires
 * on time, and everything that happened is recorded, then measured.
 *
 * Output directory:
 * - `events.jsonl`: every detector event and fault as it happens (readable
 *   even if the run is killed);
 * - `result.json`: the measured figures, written atomically at the end
 *   (also after Ctrl-C, marked `complete: false`).
 *
 * @module
 */

import { DETECTOR_EVENT_KINDS } from "../../lib/core/detector.ts";
import { formatMemberId, loopbackId } from "../../lib/core/member_id.ts";
import { absNowMs, RunClock } from "../os/clock.ts";
import {
  bandwidth,
  type BandwidthSample,
  broadcastReport,
  detectionPerCrash,
  type DownInterval,
  levelBandwidth,
  mistakes,
  noise,
  type PartitionInterval,
  proxyReport,
  type RecordedEvent,
  remerges,
  type RunRecord,
  spread,
} from "../metrics/metrics.ts";
import { machineFacts, type ProcessUsage, readUdpSnmp, selfUsage } from "../os/readings.ts";
import { ProxyProcess } from "../proxy/proxy_process.ts";
import { configBlock, type EpisodeSummary, RESULT_SCHEMA_VERSION, type RunResult, writeJsonAtomic } from "./result.ts";
import type { Scenario } from "../scenario/resolve.ts";
import type { Action } from "../faults/schedule.ts";
import { type ShardFinal, ShardPool } from "../hosting/shard_pool.ts";
import type { ProxyCounters } from "../proxy/udp_proxy.ts";
import { Histogram, type HistogramData } from "../../lib/core/histogram.ts";
import type { EpisodeRecord } from "../metrics/episodes.ts";

/** Live state for a progress display. */
export interface RunProgress {
  /** What the run is doing. */
  readonly phase: "starting" | "running" | "stopping";
  /** Nominal ms since the members started. */
  readonly elapsedMs: number;
  /** Nominal length of the run. */
  readonly durationMs: number;
  /** Members not crashed so far. */
  readonly membersUp: number;
  /** Members crashed so far. */
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
}

/** Settle time after the schedule stops before counters are read (real ms). */
const DRAIN_MS = 150;

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
  await Deno.mkdir(outDir, { recursive: true });
  const log = await Deno.open(`${outDir}/events.jsonl`, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  const writeLog = (lines: string[]) => {
    if (lines.length > 0) {
      log.writeSync(encoder.encode(lines.join("\n") + "\n"));
    }
  };
  const startedAt = new Date().toISOString();
  const wallStart = absNowMs();
  const events: RecordedEvent[] = [];
  const samples: BandwidthSample[][] = [];
  const timeline: {
    atMs: number;
    shard: number;
    latenessP99Ms: number;
    latenessMaxMs: number;
  }[] = [];
  /** Every action carried out, with the nominal time it took effect. */
  const applied: Action[] = [];
  const down = new Set<number>();
  /** Process-hosted shards that were SIGSTOPped: their timer lateness is the fault, not harness noise. */
  const pausedShards = new Set<number>();
  let fatal: Error | undefined;
  let failFatal: (error: Error) => void = () => {};
  const fatalPromise = new Promise<void>((resolve) => {
    failFatal = (error) => {
      fatal ??= error;
      resolve();
    };
  });
  let clock: RunClock | undefined;
  let indexOfPublicId = new Map<number, number>();
  let pool: ShardPool | undefined;
  let proxy: ProxyProcess | undefined;
  let detections = 0;
  let lastLateness = 0;
  let interrupted = false;
  let finals: ShardFinal[] = [];
  let proxyCounters: ProxyCounters | null = null;
  const episodeMap = new Map<
    number,
    { source: number; counter: number; originMs: number; learned: number; maxPropMs: number }
  >();
  let endNominal = 0;
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  const crashTimers: ReturnType<typeof setTimeout>[] = [];
  const snmpBefore = readUdpSnmp();
  const usageBefore = selfUsage();
  let proxyUsageBefore: ProcessUsage | undefined;
  let proxyUsageAfter: ProcessUsage | undefined;

  writeLog([
    JSON.stringify({ type: "run", scenario: sc.name, startedAt, config: sc }),
  ]);

  const progress = (phase: RunProgress["phase"]) => {
    options.onProgress?.({
      phase,
      elapsedMs: clock ? Math.max(0, Math.min(sc.durationMs + sc.recoveryMs, clock.nominalNow())) : 0,
      durationMs: sc.durationMs + sc.recoveryMs,
      membersUp: sc.members - down.size,
      crashed: down.size,
      detections,
      latenessP99Ms: lastLateness,
    });
  };

  try {
    progress("starting");
    pool = await ShardPool.start({
      members: sc.members,
      shards: sc.shards,
      hosting: sc.hosting,
      ...(sc.layout ? { layout: sc.layout } : {}),
      seed: sc.seed,
      config: {
        tGossipMs: sc.gossip.tGossipMs,
        tFailMs: sc.gossip.tFailMs,
        tCleanupMs: sc.gossip.tCleanupMs,
        detector: sc.detector,
        ...(sc.swim ? { swim: sc.swim } : {}),
        ...(sc.phi ? { phi: sc.phi } : {}),
        ...(sc.neighbor ? { neighbor: sc.neighbor } : {}),
        style: sc.dissemination,
        ...(sc.topology ? { topology: sc.topology.levels } : {}),
        ...(sc.catastrophe
          ? { catastrophe: { exponent: sc.catastrophe.exponent, reportAfterMs: sc.catastrophe.reportAfterMs } }
          : {}),
      },
      speedup: sc.speedup,
      basePort: sc.basePort,
      onEvents: (flat) => {
        const lines: string[] = [];
        for (let i = 0; i < flat.length; i += 4) {
          const e: RecordedEvent = {
            observer: flat[i]!,
            kind: DETECTOR_EVENT_KINDS[flat[i + 1]!]!,
            subject: indexOfPublicId.get(flat[i + 2]!) ?? -1,
            atMs: flat[i + 3]!,
          };
          events.push(e);
          if (e.kind === "failed") detections++;
          lines.push(
            JSON.stringify({
              t: round3(e.atMs),
              observer: e.observer,
              kind: e.kind,
              subject: e.subject,
            }),
          );
        }
        writeLog(lines);
      },
      onStats: (m) => {
        if (!clock) return;
        const atMs = clock.toNominal(m.atAbsMs);
        (samples[m.shard] ??= []).push({
          atMs,
          sentBytes: m.counters.sentBytes,
        });
        timeline.push({
          atMs: round3(atMs),
          shard: m.shard,
          latenessP99Ms: m.lateness.p99,
          latenessMaxMs: m.lateness.max,
        });
        lastLateness = m.lateness.p99;
      },
      onError: failFatal,
      episodes: sc.episodes,
      onEpisodes: (flat) => {
        for (let i = 0; i < flat.length; i += 5) {
          const key = flat[i]! * 2 ** 30 + flat[i + 1]!;
          const e = episodeMap.get(key);
          if (e) {
            e.learned += flat[i + 3]!;
            e.maxPropMs = Math.max(e.maxPropMs, flat[i + 4]!);
          } else {
            episodeMap.set(key, {
              source: flat[i]!,
              counter: flat[i + 1]!,
              originMs: flat[i + 2]!,
              learned: flat[i + 3]!,
              maxPropMs: flat[i + 4]!,
            });
          }
        }
      },
    });
    proxy = await ProxyProcess.start({
      blackholed: sc.failedMembers,
      rules: sc.impairments,
      memberPorts: pool.privatePorts,
      publicPorts: sc.basePort > 0 ? pool.privatePorts.map((p) => p + sc.members) : [],
      seed: sc.seed,
      loss: sc.loss,
      ...(sc.topology ? { levels: sc.topology.levels } : {}),
      broadcast: sc.catastrophe !== null,
    });
    proxyUsageBefore = await proxy.usage();
    const publicIds = proxy.publicPorts.map((port) => loopbackId(port));
    indexOfPublicId = new Map(publicIds.map((id, i) => [id, i]));
    const startAbs = absNowMs() + 100;
    clock = new RunClock(startAbs, sc.speedup);
    pool.begin(publicIds, startAbs, proxy.broadcastPort > 0 ? loopbackId(proxy.broadcastPort) : undefined);
    for (const member of sc.failedMembers) {
      applied.push({ atMs: 0, type: "crash", member, fault: -1 });
      down.add(member);
      writeLog([JSON.stringify({ t: 0, fault: "crash", how: "failed-from-start", member })]);
    }
    writeLog([JSON.stringify({
      type: "start",
      startAbsMs: startAbs,
      members: publicIds.map((id, i) => ({
        index: i,
        public: formatMemberId(id),
        privatePort: pool!.privatePorts[i],
      })),
    })]);

    // The fault schedule: each action at its time, in order; heals sort first at equal times.
    let chain = Promise.resolve();
    for (const action of sc.actions) {
      crashTimers.push(setTimeout(() => {
        chain = chain.then(async () => {
          try {
            const at = await execute(action, proxy!, pool!, sc.hosting);
            if (action.type === "pause" && sc.hosting === "processes") pausedShards.add(pool!.shardOf(action.member));
            const atMs = clock!.toNominal(at);
            applied.push({ ...action, atMs });
            if (action.type === "crash" || action.type === "kill" || action.type === "pause") down.add(action.member);
            if (action.type === "recover" || action.type === "restart" || action.type === "resume") {
              down.delete(action.member);
            }
            writeLog([JSON.stringify({ t: round3(atMs), fault: action.type, ...describe(action) })]);
          } catch (error) {
            failFatal(error instanceof Error ? error : new Error(String(error)));
          }
        });
      }, Math.max(0, clock!.toAbs(action.atMs) - absNowMs())));
    }

    progressTimer = setInterval(() => progress("running"), 500);
    const aborted = new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener("abort", () => resolve(), {
        once: true,
      });
    });
    let endTimer: ReturnType<typeof setTimeout> | undefined;
    const ended = new Promise<void>((resolve) => {
      endTimer = setTimeout(
        resolve,
        Math.max(0, clock!.toAbs(sc.durationMs + sc.recoveryMs) - absNowMs()),
      );
    });
    await Promise.race([ended, aborted, fatalPromise]);
    clearTimeout(endTimer);
    interrupted = options.signal?.aborted === true && !fatal;
  } catch (error) {
    fatal ??= error instanceof Error ? error : new Error(String(error));
  } finally {
    clearInterval(progressTimer);
    for (const t of crashTimers) clearTimeout(t);
  }
  // An interrupted or failed run still leaves no member paused or black-holed.
  if (clock && (interrupted || fatal)) {
    try {
      await proxy?.healAll();
      for (const m of [...down]) {
        const pausedAction = [...applied].reverse().find((a) => "member" in a && a.member === m);
        if (pausedAction?.type === "pause") {
          if (sc.hosting === "processes") pool?.signal(m, "SIGCONT");
          else await pool?.control(m, "resume");
        }
      }
    } catch {
      // teardown continues regardless
    }
  }

  // Tear down: stop the schedule, let in-flight datagrams land, read the counts, close everything.
  progress("stopping");
  const wasStarted = clock !== undefined;
  try {
    if (pool && wasStarted && !fatal) {
      await pool.quiesce();
      endNominal = clock!.nominalNow();
      await sleep(DRAIN_MS);
      proxyCounters = proxy ? await proxy.counters({ links: false }) : null;
      proxyUsageAfter = proxy ? await proxy.usage() : undefined;
      finals = await pool.stop();
    } else if (clock) {
      endNominal = clock.nominalNow();
    }
  } catch (error) {
    fatal ??= error instanceof Error ? error : new Error(String(error));
  }
  const usageAfter = selfUsage();
  await pool?.terminate();
  await proxy?.close().catch(() => {});
  const snmpAfter = readUdpSnmp();
  const wallRealMs = absNowMs() - wallStart;
  log.close();

  if (!wasStarted) {
    // Nothing ran (bad port, spawn failure): no result to write.
    throw fatal ?? new Error("the run did not start");
  }

  const totals = collectTotals(sc.members, finals);
  const record: RunRecord = {
    members: sc.members,
    durationMs: Math.max(1, endNominal),
    speedup: sc.speedup,
    tGossipMs: sc.periodMs,
    budgetBytesPerSec: sc.gossip.budgetBytesPerSec,
    downs: downIntervals(applied),
    partitions: partitionIntervals(applied, sc.members),
    tFailMs: sc.silenceMs,
    events,
    totals,
    samples,
    proxy: proxyCounters,
    faithfulLatenessFraction: sc.faithfulLatenessFraction,
    noise: {
      latenessByShard: finals.map((f): HistogramData => f.lateness),
      excludedShards: [...pausedShards],
      kernelRcvbufErrors: snmpAfter.rcvbufErrors - snmpBefore.rcvbufErrors,
      kernelInErrors: snmpAfter.inErrors - snmpBefore.inErrors,
      harnessCpuMs: usageAfter.cpuMs - usageBefore.cpuMs,
      proxyCpuMs: proxyUsageBefore && proxyUsageAfter ? proxyUsageAfter.cpuMs - proxyUsageBefore.cpuMs : null,
      wallRealMs,
      cores: navigator.hardwareConcurrency,
      harnessRssBytes: usageAfter.rssBytes,
      harnessPeakRssBytes: usageAfter.peakRssBytes,
      proxyRssBytes: proxyUsageAfter?.rssBytes ?? null,
      proxyPeakRssBytes: proxyUsageAfter?.peakRssBytes ?? null,
      timeline,
    },
  };
  const result = buildResult(record, sc, {
    startedAt,
    wallSeconds: wallRealMs / 1000,
    interrupted,
    error: fatal ? (fatal.message || String(fatal)) : null,
    harnessVersion: options.harnessVersion ?? "dev",
    indexOfPublicId,
  });
  if (sc.episodes) {
    const live = new Set(Array.from({ length: sc.members }, (_, i) => i).filter((i) => !sc.failedMembers.includes(i)));
    const records = [...episodeMap.values()]
      .filter((e) => live.has(e.source) && e.originMs <= sc.episodes!.cutoffMs)
      .sort((a, b) => a.originMs - b.originMs);
    options.episodeSink?.push(...records);
    const expected = live.size - 1;
    const full = new Histogram();
    let fully = 0;
    for (const e of records) {
      if (e.learned >= expected) {
        fully++;
        full.record(e.maxPropMs);
      }
    }
    const propagation = new Histogram();
    for (const f of finals) if (f.propagation) propagation.merge(f.propagation);
    (result as { episodes: EpisodeSummary | null }).episodes = {
      horizonMs: sc.episodes.horizonMs,
      cutoffMs: sc.episodes.cutoffMs,
      tracked: records.length,
      expectedObservers: expected,
      fullyLearned: fully,
      pairs: records.length * expected,
      fullPropagation: full.toJSON(),
      propagation: propagation.toJSON(),
    };
    await Deno.writeTextFile(
      `${outDir}/episodes.csv`,
      "source,counter,originMs,learned,maxPropMs\n" +
        records.map((e) => `${e.source},${e.counter},${round3(e.originMs)},${e.learned},${round3(e.maxPropMs)}`).join(
          "\n",
        ) +
        "\n",
    );
  }
  await writeJsonAtomic(`${outDir}/result.json`, result);
  if (fatal) {
    throw new RunFailedError(`the run failed: ${fatal.message}`, result, {
      cause: fatal,
    });
  }
  return result;
}

function buildResult(
  record: RunRecord,
  sc: Scenario,
  meta: {
    startedAt: string;
    wallSeconds: number;
    interrupted: boolean;
    error: string | null;
    harnessVersion: string;
    indexOfPublicId: Map<number, number>;
  },
): RunResult {
  const addressOf = new Map(
    [...meta.indexOfPublicId].map(([id, i]) => [i, formatMemberId(id)]),
  );
  const perCrash = detectionPerCrash(record).map((c) => ({
    ...c,
    address: addressOf.get(c.member) ?? "",
  }));
  const n = noise(record);
  const complete = !meta.interrupted && meta.error === null;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    harnessVersion: meta.harnessVersion,
    scenario: sc.name,
    description: sc.description,
    complete,
    interrupted: meta.interrupted,
    error: meta.error,
    faithful: n.faithful,
    startedAt: meta.startedAt,
    wallSeconds: meta.wallSeconds,
    config: configBlock(sc.gossip, {
      seed: sc.seed,
      speedup: sc.speedup,
      loss: sc.loss,
      durationMs: sc.durationMs,
      shards: sc.shards,
      basePort: sc.basePort,
      crashes: sc.crashes,
      faults: sc.faults,
      recoveryMs: sc.recoveryMs,
      failed: sc.failedMembers.length,
      detector: sc.detector,
      dissemination: sc.dissemination,
      topology: sc.topology ? { domains: sc.topology.domains, subnetsPerDomain: sc.topology.subnetsPerDomain } : null,
      catastrophe: sc.catastrophe,
      neighbor: sc.neighbor,
      swim: sc.swim,
      phi: sc.phi,
      faithfulLatenessFraction: sc.faithfulLatenessFraction,
    }),
    machine: machineFacts(),
    measuredMs: record.durationMs,
    crashes: perCrash,
    detectionAcrossCrashes: {
      crashes: perCrash.length,
      undetected: perCrash.filter((c) => c.detection.detected === 0).length,
      firstMs: spread(perCrash.map((c) => c.detection.firstMs)),
      medianMs: spread(perCrash.map((c) => c.detection.medianMs)),
      p99Ms: spread(perCrash.map((c) => c.detection.p99Ms)),
      fullMs: spread(perCrash.map((c) => c.detection.fullMs)),
    },
    mistakes: mistakes(record),
    bandwidth: bandwidth(record),
    proxy: proxyReport(record),
    members: {
      malformedDropped: record.totals.malformed.reduce((a, b) => a + b, 0),
      sendErrors: record.totals.sendErrors.reduce((a, b) => a + b, 0),
      detectorEvents: record.events.length,
    },
    noise: n,
    episodes: null,
    levels: sc.topology ? levelBandwidth(record, sc.topology.levels) : null,
    broadcasts: sc.catastrophe
      ? broadcastReport(record, sc.topology ? sc.topology.domains * sc.topology.subnetsPerDomain : 1)
      : null,
    remerges: remerges(record),
  };
}

function collectTotals(
  members: number,
  finals: readonly ShardFinal[],
): RunRecord["totals"] {
  const zero = () => new Array<number>(members).fill(0);
  const t = {
    sentBytes: zero(),
    sentDatagrams: zero(),
    recvBytes: zero(),
    recvDatagrams: zero(),
    malformed: zero(),
    sendErrors: zero(),
  };
  for (const f of finals) {
    f.members.forEach((index, k) => {
      for (const key of Object.keys(t) as (keyof typeof t)[]) {
        t[key][index] = f.counters[key][k]!;
      }
    });
  }
  return t;
}

/** Carries out one action; resolves to when it took effect (epoch ms). */
async function execute(
  action: Action,
  proxy: ProxyProcess,
  pool: ShardPool,
  hosting: Scenario["hosting"],
): Promise<number> {
  switch (action.type) {
    case "crash":
      return await proxy.setBlackhole(action.member, true);
    case "recover":
      return await proxy.setBlackhole(action.member, false);
    case "pause":
    case "resume":
      // A process-hosted member is stopped for real; a worker-hosted one is frozen in its event loop.
      if (hosting === "processes") return pool.signal(action.member, action.type === "pause" ? "SIGSTOP" : "SIGCONT");
      return await pool.control(action.member, action.type);
    case "kill": {
      // The proxy learns first, so nothing is sent to the closing socket.
      await proxy.setDead(action.member, true);
      return await pool.control(action.member, "kill");
    }
    case "restart": {
      const at = await pool.control(action.member, "restart");
      await proxy.setDead(action.member, false);
      return at;
    }
    case "partition":
      return await proxy.setPartition(action.cuts);
    case "heal":
      return await proxy.heal();
    case "addRule":
      return await proxy.addRule(action.rule);
    case "removeRule":
      return await proxy.removeRule(action.id);
  }
}

function describe(action: Action): Record<string, unknown> {
  switch (action.type) {
    case "partition":
      return { shape: action.label, cuts: action.cuts.length };
    case "addRule":
      return { rule: action.rule };
    case "removeRule":
      return { rule: action.id };
    case "heal":
      return {};
    default:
      return { member: action.member, ...(action.fault < 0 ? { how: "failed-from-start" } : {}) };
  }
}

/** Down intervals (crash, kill, pause) from the actions carried out. */
function downIntervals(applied: readonly Action[]): DownInterval[] {
  const open = new Map<number, { fromMs: number; cause: DownInterval["cause"] }>();
  const out: DownInterval[] = [];
  for (const a of applied) {
    if (a.type === "crash" || a.type === "kill" || a.type === "pause") {
      open.set(a.member, { fromMs: a.atMs, cause: a.fault < 0 ? "failed" : a.type });
    } else if (a.type === "recover" || a.type === "restart" || a.type === "resume") {
      const o = open.get(a.member);
      if (o) {
        out.push({ member: a.member, fromMs: o.fromMs, toMs: a.atMs, cause: o.cause });
        open.delete(a.member);
      }
    }
  }
  for (const [member, o] of open) out.push({ member, fromMs: o.fromMs, toMs: null, cause: o.cause });
  return out.sort((a, b) => a.fromMs - b.fromMs);
}

/** Partition intervals with their cut links (from * n + to). */
function partitionIntervals(applied: readonly Action[], n: number): PartitionInterval[] {
  const out: PartitionInterval[] = [];
  let open: { fromMs: number; cuts: number[]; label: string } | undefined;
  for (const a of applied) {
    if (a.type === "partition") {
      open = { fromMs: a.atMs, cuts: a.cuts.map(([f, t]) => f * n + t), label: a.label };
    } else if (a.type === "heal" && open) {
      out.push({ ...open, toMs: a.atMs });
      open = undefined;
    }
  }
  if (open) out.push({ ...open, toMs: null });
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
