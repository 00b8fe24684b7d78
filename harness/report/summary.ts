/**
 * Renders a {@linkcode RunResult} for people: a terminal summary whose
 * first line states whether the run was faithful.
 *
 * @module
 */

import { bold, cyan, dim, green, red, yellow } from "@std/fmt/colors";
import type { RunResult } from "../run/result.ts";
import type { ValidationFile } from "../studies/validate_run.ts";

const s = (ms: number | null | undefined) => ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`;
const f1 = (x: number | null | undefined) => x === null || x === undefined ? "—" : x.toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 2 : 0)}%`;
const cores = (x: number | null) => x === null ? "—" : x.toFixed(2);
const mb = (b: number | null) => b === null ? "—" : `${(b / 1048576).toFixed(0)} MB`;

const CAUSE_WORDS = {
  crash: "black-holed (crash by proxy)",
  kill: "killed",
  pause: "paused",
  failed: "failed from the start",
} as const;

/** The S-transitions that are not mistakes, by cause. */
function explained(m: RunResult["mistakes"]): string {
  const parts = [
    m.faultDetections > 0 ? `${m.faultDetections} fault detections` : "",
    m.partitionDetections > 0 ? `${m.partitionDetections} across partitions` : "",
    m.isolatedObserverDetections > 0 ? `${m.isolatedObserverDetections} by members that were down` : "",
  ].filter((x) => x !== "");
  return parts.length === 0 ? "" : ` · not mistakes: ${parts.join(", ")}`;
}

/** A multi-line terminal summary. */
export function renderSummary(r: RunResult, outDir: string): string {
  const c = r.config;
  const lines: string[] = [];
  const n = r.noise;
  if (!r.complete) {
    lines.push(
      yellow(
        bold(
          r.reason === "interrupted"
            ? "INTERRUPTED"
            : r.reason === "deadline"
            ? "DEADLINE PASSED (overloaded)"
            : "FAILED",
        ),
      ) +
        yellow(` — partial results${r.error ? `: ${r.error}` : ""}`),
    );
  }
  const simulated = r.mode === "simulated";
  if (r.faithful) {
    lines.push(
      green(bold("FAITHFUL")) +
        dim(
          simulated
            ? " · simulated: books balance; timer lateness, kernel drops and CPU do not apply"
            : ` · timer lateness p99 ${f1(n.latenessP99Ms)} ms (limit ${
              f1(n.latenessLimitMs)
            } ms) · ${n.kernelDrops} kernel drops`,
        ),
    );
  } else {
    const why = [...(r.complete ? [] : ["the run did not complete"]), ...n.reasons];
    lines.push(
      red(bold("NOT FAITHFUL: ")) + red(why.join("; ")) +
        red(" — do not use these figures as a baseline"),
    );
  }

  lines.push(
    bold(`${r.scenario}`) +
      ` · ${c.n} members · seed ${c.seed} · ` +
      (simulated
        ? "simulated (virtual time)"
        : c.speedup === 1
        ? "real time"
        : `time-compressed ${c.speedup}× (all times below are nominal)`) +
      ` · ${s(r.measuredMs)} run in ${r.wallSeconds.toFixed(1)} s wall`,
  );
  lines.push(
    dim("config   ") + c.describedAs +
      (c.topology ? ` · ${c.topology.domains} domain(s) × ${c.topology.subnetsPerDomain} subnet(s)` : "") +
      ` · proxy loss ${pct(c.loss)}`,
  );
  for (const crash of r.crashes) {
    const d = crash.detection;
    const all = d.detected === d.observers;
    lines.push(
      dim("detect   ") +
        `member ${crash.member} (${crash.address}) ${CAUSE_WORDS[crash.cause]} at ${s(crash.atMs)}` +
        (crash.endMs !== null ? ` until ${s(crash.endMs)}` : "") + ": " +
        (d.firstSuspicionMs !== null && d.firstSuspicionMs !== undefined
          ? `first suspicion ${s(d.firstSuspicionMs)} · `
          : "") +
        `first ${cyan(s(d.firstMs))} · median ${cyan(s(d.medianMs))} · p99 ${s(d.p99Ms)} · full ${
          cyan(s(d.fullMs))
        } · ` +
        (all ? green(`${d.detected}/${d.observers} observers`) : yellow(`${d.detected}/${d.observers} observers`)) +
        dim(` (detection window ${s(c.silenceMs)})`),
    );
  }
  if (r.crashes.length === 0) {
    lines.push(dim("detect   ") + "no crash in this scenario");
  }
  const m = r.mistakes;
  const rate = m.count === 0
    ? `< ${m.ci95[1].toExponential(2)} per pair-hour (95% upper bound)`
    : `${m.perPairHour.toExponential(2)} per pair-hour, 95% CI [${m.ci95[0].toExponential(2)}, ${
      m.ci95[1].toExponential(2)
    }]`;
  lines.push(
    dim("mistakes ") + (m.count === 0 ? green("0") : red(String(m.count))) +
      ` in ${m.pairHours.toFixed(1)} pair-hours → ${rate}` +
      dim(explained(m)),
  );
  const b = r.bandwidth;
  const acc = b.byAccounting;
  const NAMES = { entries: "entries (the paper's 8n)", payload: "payload", wire: "with IPv4/UDP headers" } as const;
  const ratio = `${b.meanBudgetRatio.toFixed(3)}× budget`;
  const others = (["entries", "payload", "wire"] as const).filter((a) => a !== b.accounting)
    .map((a) => `${NAMES[a]} ${f1(acc[a].meanBytesPerSec)} (${acc[a].meanBudgetRatio.toFixed(3)}×)`);
  lines.push(
    dim("bytes/s  ") +
      `${b.source === "proxy" ? "UDP at the proxy, " : ""}${NAMES[b.accounting]} mean ${
        bold(f1(acc[b.accounting].meanBytesPerSec))
      } (${b.meanBudgetRatio > 1 ? yellow(ratio) : green(ratio)} of ${b.budgetBytesPerSec}) · max ${
        f1(acc[b.accounting].maxBytesPerSec)
      } · beside it: ${others.join(" · ")}`,
  );
  if (b.tcp) {
    lines.push(
      dim("tcp      ") +
        `sent mean ${bold(f1(b.tcp.meanSentBytesPerSec))} B/s (max ${f1(b.tcp.maxSentBytesPerSec)}) · received ${
          f1(b.tcp.meanRecvBytesPerSec)
        } · ${f1(b.tcp.connectionsPerMemberMinute)} connections per member-minute · UDP + TCP ${
          f1(b.tcp.meanTotalSentBytesPerSec)
        } B/s`,
    );
  }
  const procs = r.members.processes;
  if (procs) {
    lines.push(
      dim("members  ") +
        `${procs.processes} processes · CPU ${pct(procs.cpuCoresMean)} of a core each (max ${
          pct(procs.cpuCoresMax)
        }) · RSS ${mb(procs.rssBytesMean)} each (max ${mb(procs.rssBytesMax)})` +
        (r.members.views
          ? ` · final tables ${r.members.views.agree}/${r.members.views.checked} agree with the events`
          : ""),
    );
  }
  // Real programs (bytes counted at the proxy) are not set by B: no budget verdict for them.
  if (b.exceeded && b.source === "members") {
    lines.push(
      dim("         ") +
        yellow(`budget exceeded (counting ${b.accounting}) by ${b.membersOverBudget} member(s) over the whole run`) +
        (b.maxWindowBytesPerSec !== null ? ` · peak ${f1(b.maxWindowBytesPerSec)} over ${s(b.windowMs)} windows` : ""),
    );
  }
  if (r.proxy) {
    const p = r.proxy;
    const ok = p.sentReconciles !== false && p.receivedReconciles !== false && p.balances;
    lines.push(
      dim("proxy    ") +
        `${p.relayed} relayed · ${p.lost} lost (${pct(p.measuredLoss)}) · ${p.blackholed} black-holed · ` +
        (p.partitioned > 0 ? `${p.partitioned} partitioned · ` : "") +
        (p.duplicated > 0 ? `${p.duplicated} duplicated · ` : "") +
        (p.tcp ? `TCP ${p.tcp.connections} connections, ${p.tcp.droppedBytes} B withheld · ` : "") +
        (ok && p.sentReconciles === null
          ? green("books balance") + dim(" (members' own counts not measured)")
          : ok
          ? green("counts reconcile with the members'")
          : red(`counts do not reconcile (${p.mismatches.length} mismatches)`)),
    );
  }
  if (r.levels) {
    const l = r.levels;
    lines.push(
      dim("levels   ") +
        `per member: ${f1(l.withinSubnetBytesPerSec)} B/s within the subnet · ${
          f1(l.crossSubnetBytesPerSec)
        } to other subnets · ${f1(l.crossDomainBytesPerSec)} to other domains · out of a subnet ${
          f1(l.subnetOutBytesPerSec.mean)
        } (max ${f1(l.subnetOutBytesPerSec.max)}) · out of a domain ${f1(l.domainOutBytesPerSec.mean)} B/s`,
    );
  }
  if (r.broadcasts) {
    const bc = r.broadcasts;
    lines.push(
      dim("bcast    ") +
        `${bc.broadcasts} broadcasts (${bc.copies} copies) · one per ${
          bc.meanIntervalSeconds === null ? "—" : `${bc.meanIntervalSeconds.toFixed(1)} s`
        } per subnet (model ${c.catastrophe?.meanIntervalSeconds ?? "—"} s) · ${f1(bc.bytesPerSec)} B/s per member`,
    );
  }
  for (const rm of r.remerges ?? []) {
    lines.push(
      dim("re-merge ") +
        `after the ${rm.label} heal at ${s(rm.healedAtMs)}: ${rm.remerged}/${rm.pairs} split pairs back · median ${
          s(rm.medianMs)
        } · ` + (rm.fullMs === null ? yellow("some never re-merged") : green(`all in ${s(rm.fullMs)}`)),
    );
  }
  lines.push(
    dim("noise    ") +
      (simulated
        ? "simulated: timer lateness, kernel drops, CPU and RSS do not apply"
        : `lateness p50 ${f1(n.latenessP50Ms)} / p99 ${f1(n.latenessP99Ms)} / max ${f1(n.latenessMaxMs)} ms (real) · ` +
          `kernel drops ${n.kernelDrops} · CPU ${cores(n.harnessCpuCores)} harness + ${
            cores(n.proxyCpuCores)
          } proxy of ${n.cores} cores · ` +
          `RSS ${mb(n.harnessRssBytes)} + proxy ${mb(n.proxyRssBytes)}`) +
      ((r.members.malformedDropped ?? 0) > 0 ? ` · ${r.members.malformedDropped} malformed datagrams dropped` : ""),
  );
  lines.push(
    dim("results  ") + `${outDir}/result.json · ${outDir}/events.jsonl`,
  );
  return lines.join("\n");
}

const sci = (x: number) => (x === 0 ? "0" : x >= 0.01 ? x.toFixed(3) : x.toExponential(2));

/** A terminal rendering of a validation: verdict line, table per T, infection rounds. */
export function renderValidation(v: ValidationFile, outDir: string): string {
  const lines: string[] = [];
  lines.push(
    v.conclusive
      ? green(bold("CONCLUSIVE")) + dim(" · the run was faithful")
      : yellow(bold("INCONCLUSIVE: ")) + yellow(v.inconclusiveBecause.join("; ")) + yellow(" — no verdicts"),
  );
  const c = v.config;
  lines.push(
    bold("validate") +
      ` · n ${v.model.members} · f ${v.model.failed} · loss ${pct(v.model.loss)} · B ${c.B} B/s · T_gossip ${
        s(c.tGossipMs)
      } · T_fail ${s(c.tFailMs)} (P_mistake ${c.pMistake}) · ${
        v.mode === "simulated" ? "simulated" : `speed-up ${c.speedup}×`
      } · ${v.rows[0]?.episodes ?? 0} episodes · ${v.wallSeconds.toFixed(0)} s wall`,
  );
  lines.push(dim(`rows compare the ${v.compares}`));
  // One table of columns, so the header and the rows cannot disagree.
  const columns: [string, (r: ValidationFile["rows"][number]) => string][] = [
    ["T (s)", (r) => r.seconds.toFixed(2)],
    ["T/T_fail", (r) => r.tOverTFail.toFixed(2)],
    ["model q", (r) => sci(r.modelPerEpisode)],
    ["measured q", (r) => `${sci(r.measuredPerEpisode)} (${r.misses})`],
    ["95% CI", (r) => `[${sci(r.ci95[0])}, ${sci(r.ci95[1])}]`],
    ["ratio", (r) => r.ratio === null ? "—" : r.ratio.toFixed(2)],
    ["model N·q", (r) => sci(r.modelPMistake)],
    ["measured N·q", (r) => sci(r.measuredPMistake)],
    ["per pair", (r) => sci(r.measuredPerPair)],
    ["appendix A q", (r) => sci(r.appendixAPerEpisode)],
    ["simulated q", (r) => r.simulatedPerEpisode === null ? "—" : sci(r.simulatedPerEpisode)],
    [
      "layout range",
      (r) =>
        r.simulatedLayoutRange === null
          ? "—"
          : `[${sci(r.simulatedLayoutRange[0])}, ${sci(r.simulatedLayoutRange[1])}]`,
    ],
    ["verdict", (r) => r.verdict],
  ];
  const header = columns.map(([head]) => head);
  const rows = v.rows.map((r) => columns.map(([, cell]) => cell(r)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((x, i) => x.padStart(widths[i]!)).join("  ");
  const last = columns.length - 1;
  lines.push(fmt(header));
  for (const r of rows) {
    const verdict = r[last]!;
    const colour = verdict === "consistent" ? green : verdict === "inconclusive" ? dim : yellow;
    lines.push(fmt(r.slice(0, last)).concat("  ", colour(verdict.padStart(widths[last]!))));
  }
  const pooled = v.layouts && v.layouts.length > 1;
  lines.push(
    dim(
      pooled
        ? `note: episodes pooled over ${v.layouts!.length} simulated phase layouts (seeds ${v.layouts![0]}–${
          v.layouts!.at(-1)
        }), so q is the unconditional one; 'layout range' is the spread of each layout's own q. Misses near T_fail ` +
          "come in bursts (one observer gossiped to by no one for many periods misses every source's heartbeats at once), " +
          "so there the binomial CI, which counts episodes as independent, is too narrow"
        : "note: episodes of one run share its gossip phase layout (fixed timers), so the 95% CI is conditional on this run; " +
          (v.mode === "simulated"
            ? "--layouts pools several simulated layouts for the unconditional q"
            : "'layout range' is the spread of q across 8 simulated layouts — repeat with other --seed values for the unconditional q"),
    ),
  );
  const rt = v.roundsTo;
  const f = (x: number | null) => (x === null ? "—" : x.toFixed(1));
  lines.push(
    dim("infection ") +
      `periods to 50% / 99% / 100% of live observers: measured ${f(rt.measured.half)} / ${f(rt.measured.p99)} / ${
        f(rt.measured.all)
      } · chain ${f(rt.chain.half)} / ${f(rt.chain.p99)} / ${f(rt.chain.all)} · push epidemic ${f(rt.push.half)} / ${
        f(rt.push.p99)
      } / ${f(rt.push.all)}`,
  );
  const m = v.directMistakes;
  lines.push(
    dim("mistakes  ") +
      `${m.count} at T_fail in ${m.pairHours.toFixed(1)} pair-hours (95% CI [${m.ci95[0].toExponential(2)}, ${
        m.ci95[1].toExponential(2)
      }] per pair-hour) — the model bounds episodes, not this count`,
  );
  const runs = pooled ? `${outDir}/layout-{1..${v.layouts!.length}}/` : `${outDir}/`;
  lines.push(dim("results   ") + `${outDir}/validation.json · ${runs}result.json · ${runs}episodes.csv`);
  return lines.join("\n");
}
