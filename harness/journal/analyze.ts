/**
 * Every figure of a run, computed from its journal alone: the run itself
 * ends by calling {@linkcode analyzeJournal} on the journal it wrote, and
 * `harness analyze DIR` does the same later, so a run can always be
 * re-analysed without re-running it.
 *
 * @module
 */

import { Histogram } from "../../lib/core/histogram.ts";

import { partitionCuts } from "../faults/schedule.ts";
import { kindOf } from "../members/registry.ts";
import { bandwidth } from "../metrics/bandwidth.ts";
import { detectionPerCrash, spread } from "../metrics/detection.ts";
import { broadcastReport, levelBandwidth } from "../metrics/levels.ts";
import { type Mistakes, mistakes } from "../metrics/mistakes.ts";
import { type Noise, noise } from "../metrics/noise.ts";
import { type ProxyReport, proxyReport } from "../metrics/proxy_report.ts";
import type {
  BandwidthSample,
  DownInterval,
  MemberTotals,
  PartitionInterval,
  RecordedEvent,
  RunRecord,
  SlowInterval,
} from "../metrics/record.ts";
import { remerges } from "../metrics/remerge.ts";
import { processSummary, reconcileViews, type ViewReconciliation } from "../metrics/external.ts";
import type { EpisodeRecord } from "../metrics/episodes.ts";
import { writeJsonAtomic } from "../os/files.ts";
import { configBlock, type EpisodeSummary, RESULT_SCHEMA_VERSION, type RunResult } from "../run/result.ts";
import { kindContext } from "../scenario/mod.ts";
import { episodesOf, writeEpisodesCsv } from "./episodes.ts";
import { type Journal, readJournal } from "./reader.ts";
import type { FaultLine } from "./records.ts";

/** Down intervals (crash, kill, pause) from the faults carried out. */
function downIntervals(faults: readonly FaultLine[]): DownInterval[] {
  const open = new Map<number, { fromMs: number; cause: DownInterval["cause"] }>();
  const out: DownInterval[] = [];
  for (const f of faults) {
    if (f.fault === "crash" || f.fault === "kill" || f.fault === "pause") {
      open.set(f.member, { fromMs: f.t, cause: f.how === "failed-from-start" ? "failed" : f.fault });
    } else if (f.fault === "recover" || f.fault === "restart" || f.fault === "resume") {
      const o = open.get(f.member);
      if (o) {
        out.push({ member: f.member, fromMs: o.fromMs, toMs: f.t, cause: o.cause });
        open.delete(f.member);
      }
    }
  }
  for (const [member, o] of open) out.push({ member, fromMs: o.fromMs, toMs: null, cause: o.cause });
  return out.sort((a, b) => a.fromMs - b.fromMs);
}

/** When members were slow: from each `slow` fault to its `fast`. */
function slowIntervals(faults: readonly FaultLine[]): SlowInterval[] {
  const open = new Map<number, number>();
  const out: SlowInterval[] = [];
  for (const f of faults) {
    if (f.fault === "slow") open.set(f.member, f.t);
    else if (f.fault === "fast" && open.has(f.member)) {
      out.push({ member: f.member, fromMs: open.get(f.member)!, toMs: f.t });
      open.delete(f.member);
    }
  }
  for (const [member, fromMs] of open) out.push({ member, fromMs, toMs: null });
  return out.sort((a, b) => a.fromMs - b.fromMs);
}

/** Partition intervals with their cut links (from * n + to). */
function partitionIntervals(faults: readonly FaultLine[], n: number): PartitionInterval[] {
  const out: PartitionInterval[] = [];
  let open: { fromMs: number; cuts: number[]; label: string } | undefined;
  for (const f of faults) {
    if (f.fault === "partition") {
      open = { fromMs: f.t, cuts: partitionCuts(n, f.spec).map(([a, b]) => a * n + b), label: f.spec.shape };
    } else if (f.fault === "heal" && open) {
      out.push({ ...open, toMs: f.t });
      open = undefined;
    }
  }
  if (open) out.push({ ...open, toMs: null });
  return out;
}

/** The nominal length the journal covers: the end line's, else the last time it mentions. */
function measuredMs(j: Journal): number {
  if (j.end) return j.end.t;
  let last = 0;
  for (const e of j.events) last = Math.max(last, e.t);
  for (const s of j.stats) last = Math.max(last, s.t);
  for (const f of j.faults) last = Math.max(last, f.t);
  return last;
}

/** What the metrics are computed from, out of the journal. */
export function recordOf(j: Journal): RunRecord {
  const sc = j.header.scenario;
  const n = sc.members;
  const zero = () => new Array<number>(n).fill(0);
  // Counts never collected read as zeros (the verdict says so); counts a fleet does not measure stay null.
  const t = j.fleet?.totals;
  const totals: MemberTotals = {
    sentBytes: t ? t.sentBytes : zero(),
    sentDatagrams: t ? t.sentDatagrams : zero(),
    recvBytes: t ? t.recvBytes : zero(),
    recvDatagrams: t ? t.recvDatagrams : zero(),
    malformed: t ? t.malformed : zero(),
    sendErrors: t ? t.sendErrors : zero(),
    foreign: t ? t.foreign : zero(),
    kernelDrops: t?.kernelDrops ?? null,
  };
  const samples: BandwidthSample[][] = [];
  for (const s of j.stats) {
    if (s.sent) {
      (samples[s.host] ??= []).push({
        atMs: s.t,
        sentBytes: s.sent.map(([, bytes]) => bytes),
        sentDatagrams: s.sent.map(([, , datagrams]) => datagrams ?? 0),
      });
    }
  }
  const events: RecordedEvent[] = j.events.map((e) => ({
    atMs: e.t,
    observer: e.observer,
    kind: e.kind,
    subject: e.subject,
  }));
  const before = j.header.before;
  const after = j.end?.after;
  const proxyBefore = j.start?.proxyUsage ?? null;
  const proxyAfter = after?.proxy ?? null;
  const wallRealMs = j.end?.wallRealMs ?? Math.max(1, measuredMs(j) / sc.speedup);
  return {
    members: n,
    durationMs: Math.max(1, measuredMs(j)),
    speedup: sc.speedup,
    periodMs: sc.periodMs,
    budgetBytesPerSec: sc.gossip.budgetBytesPerSec,
    budgetAccounting: sc.budgetAccounting,
    downs: downIntervals(j.faults),
    partitions: partitionIntervals(j.faults, n),
    slows: slowIntervals(j.faults),
    silenceMs: sc.silenceMs,
    events,
    totals,
    samples,
    proxy: j.proxy?.counters ?? null,
    proxyAtStart: j.start?.proxyAtStart ?? null,
    views: j.fleet?.views ?? null,
    processes: j.fleet?.usage ?? null,
    faithfulLatenessFraction: sc.faithfulLatenessFraction,
    noise: {
      mode: j.header.mode ?? "real",
      latenessByShard: (j.fleet?.latenessByHost ?? []).map((h) => h ?? new Histogram().toJSON()),
      excludedShards: j.fleet?.faultedHosts ?? [],
      kernelRcvbufErrors: after ? after.snmp.rcvbufErrors - before.snmp.rcvbufErrors : 0,
      kernelInErrors: after ? after.snmp.inErrors - before.snmp.inErrors : 0,
      harnessCpuMs: after ? after.harness.cpuMs - before.harness.cpuMs : null,
      proxyCpuMs: proxyBefore && proxyAfter ? proxyAfter.cpuMs - proxyBefore.cpuMs : null,
      wallRealMs,
      cores: j.end?.cores ?? j.header.machine.cpus,
      harnessRssBytes: after?.harness.rssBytes ?? null,
      harnessPeakRssBytes: after?.harness.peakRssBytes ?? null,
      proxyRssBytes: proxyAfter?.rssBytes ?? null,
      proxyPeakRssBytes: proxyAfter?.peakRssBytes ?? null,
      readings: j.readings.map((x) => ({
        atMs: x.t,
        harnessRssBytes: x.harness.rssBytes,
        harnessCpuMs: x.harness.cpuMs,
        proxyRssBytes: x.proxy?.rssBytes ?? null,
        proxyCpuMs: x.proxy?.cpuMs ?? null,
      })),
      timeline: j.stats.filter((s) => s.latenessP99Ms !== null).map((s) => ({
        atMs: Math.round(s.t * 1000) / 1000,
        shard: s.host,
        latenessP99Ms: s.latenessP99Ms!,
        latenessMaxMs: s.latenessMaxMs!,
      })),
    },
  };
}

/** The sum of a counter, or null when it was not measured. */
function total(values: readonly number[] | null): number | null {
  return values === null ? null : values.reduce((a, b) => a + b, 0);
}

function episodeSummary(j: Journal, records: readonly EpisodeRecord[]): EpisodeSummary | null {
  const sc = j.header.scenario;
  if (!sc.episodes) return null;
  const expected = sc.members - sc.failedMembers.length - 1;
  const full = new Histogram();
  let fully = 0;
  for (const e of records) {
    if (e.learned >= expected) {
      fully++;
      full.record(e.maxPropMs);
    }
  }
  const propagation = new Histogram();
  if (j.fleet?.propagation) propagation.merge(j.fleet.propagation);
  return {
    horizonMs: sc.episodes.horizonMs,
    cutoffMs: sc.episodes.cutoffMs,
    tracked: records.length,
    expectedObservers: expected,
    fullyLearned: fully,
    pairs: records.length * expected,
    fullPropagation: full.toJSON(),
    propagation: propagation.toJSON(),
  };
}

export { episodesOf } from "./episodes.ts";

/** The result of a run, from its journal. */
export function resultOf(j: Journal, episodes: readonly EpisodeRecord[] = episodesOf(j)): RunResult {
  const sc = j.header.scenario;
  const record = recordOf(j);
  const addressOf = new Map((j.start?.members ?? []).map((m) => [m.index, m.public]));
  const perCrash = detectionPerCrash(record).map((c) => ({ ...c, address: addressOf.get(c.member) ?? "" }));
  const m = mistakes(record);
  const proxy = proxyReport(record);
  const views = reconcileViews(record);
  const n = verdict(j, record, noise(record), proxy, m, views);
  const interrupted = j.end?.interrupted ?? false;
  const reason = j.end ? j.end.reason : "killed";
  const error = j.end ? j.end.error : "the run ended without finishing its journal (killed?)";
  const kind = kindOf(sc.detector);
  const ctx = kindContext(sc);
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    harnessVersion: j.header.harnessVersion,
    scenario: sc.name,
    description: sc.description,
    mode: j.header.mode ?? "real",
    complete: reason === null,
    interrupted,
    reason,
    error,
    faithful: n.faithful && reason === null,
    startedAt: j.header.startedAt,
    wallSeconds: record.noise.wallRealMs / 1000,
    config: configBlock(sc.gossip, {
      seed: sc.seed,
      speedup: sc.speedup,
      loss: sc.loss,
      budgetAccounting: sc.budgetAccounting,
      durationMs: sc.durationMs,
      shards: sc.shards,
      basePort: sc.basePort,
      crashes: sc.crashes,
      faults: sc.faults,
      recoveryMs: sc.recoveryMs,
      failed: sc.failedMembers.length,
      detector: sc.detector,
      settings: sc.settings,
      describedAs: kind.describe(sc.settings, ctx),
      dissemination: sc.dissemination,
      topology: sc.topology ? { domains: sc.topology.domains, subnetsPerDomain: sc.topology.subnetsPerDomain } : null,
      catastrophe: sc.catastrophe,
      periodMs: sc.periodMs,
      silenceMs: sc.silenceMs,
      hosting: sc.hosting,
      faithfulLatenessFraction: sc.faithfulLatenessFraction,
    }),
    machine: j.header.machine,
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
    mistakes: m,
    bandwidth: bandwidth(record),
    proxy,
    members: {
      malformedDropped: total(record.totals.malformed),
      sendErrors: total(record.totals.sendErrors),
      detectorEvents: record.events.length,
      views,
      processes: processSummary(record),
    },
    noise: n,
    episodes: episodeSummary(j, episodes),
    levels: sc.topology ? levelBandwidth(record, sc.topology.levels) : null,
    broadcasts: sc.catastrophe
      ? broadcastReport(record, sc.topology ? sc.topology.domains * sc.topology.subnetsPerDomain : 1)
      : null,
    remerges: remerges(record),
  };
}

/**
 * The noise floor's verdict, completed with what only the whole journal
 * shows: counts never collected, books that do not reconcile, a suspicion
 * storm. A run is faithful only when none of these and none of the noise
 * readings' reasons apply.
 */
function verdict(
  j: Journal,
  record: RunRecord,
  n: Noise,
  proxy: ProxyReport | null,
  m: Mistakes,
  views: ViewReconciliation | null,
): Noise {
  const reasons = [...n.reasons];
  if (!j.fleet) reasons.push("the members' final counts were not collected");
  if (!j.proxy) reasons.push("the proxy's counts were not collected");
  // A check that cannot be made (members' counts not measured: null) is not a failure.
  if (proxy && (proxy.sentReconciles === false || proxy.receivedReconciles === false || !proxy.balances)) {
    const bad = proxy.mismatches.slice(0, 3).map((x) =>
      `member ${x.member} ${x.field} ${x.members} vs proxy ${x.proxy}`
    );
    reasons.push(
      `the proxy's books do not reconcile with the members' (${proxy.balances ? "" : "books unbalanced; "}${
        bad.join(", ")
      })`,
    );
  }
  if (proxy?.tcp && !proxy.tcp.balances) reasons.push("the TCP relay's books do not balance");
  if (views && views.disagreements.length > 0) {
    const x = views.disagreements[0]!;
    reasons.push(
      `${views.checked - views.agree} members' final tables disagree with their events (member ${x.observer} has ` +
        `${x.subject} ${x.table}, its events say ${x.events})`,
    );
  }
  const minutes = record.durationMs / 60_000;
  const storm = Math.max(10 * record.members, record.members * minutes);
  // Mistakes about a member the schedule slowed are the fault's doing, not the harness's: they do not make a storm.
  const unexplained = m.count - (m.bySlowness?.aboutSlow ?? 0);
  if (unexplained > storm) {
    reasons.push(
      `suspicion storm: ${unexplained} mistakes${unexplained < m.count ? " (besides those about slow members)" : ""} (${
        (unexplained / record.members / Math.max(minutes, 1e-9)).toFixed(1)
      } per member-minute)`,
    );
  }
  return { ...n, reasons, faithful: reasons.length === 0 };
}

/** What {@linkcode analyzeJournal} produced. */
export interface Analysis {
  /** The result, as written to `result.json`. */
  readonly result: RunResult;
  /** Finished episodes from live sources (empty unless the scenario measured them). */
  readonly episodes: readonly EpisodeRecord[];
}

/**
 * Reads `dir/events.jsonl` and writes `outDir/result.json` (and
 * `episodes.csv` when measured), each atomically. `outDir` defaults to `dir`.
 */
export async function analyzeJournal(dir: string, outDir: string = dir): Promise<Analysis> {
  const journal = await readJournal(`${dir}/events.jsonl`);
  const episodes = episodesOf(journal);
  const result = resultOf(journal, episodes);
  await Deno.mkdir(outDir, { recursive: true });
  if (journal.header.scenario.episodes) {
    await writeEpisodesCsv(`${outDir}/episodes.csv`, episodes);
  }
  await writeJsonAtomic(`${outDir}/result.json`, result);
  return { result, episodes };
}
