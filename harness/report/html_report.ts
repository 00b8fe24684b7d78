/**
 * Reports a person would rather look at than read: a self-contained HTML
 * page (inline SVG charts, no scripts, no external files) and a Markdown
 * page with the same figures (charts as SVG files beside it), for a run,
 * a validation, and a benchmark suite.
 *
 * @module
 */

import { writeTextAtomic } from "../os/files.ts";
import {
  bandwidthPerMember,
  detectionCdf,
  infectionCurve,
  modelMistakeCurve,
  noiseOverTime,
  renderSvg,
  validationCurve,
} from "./charts.ts";
import type { SuiteResult } from "../studies/bench.ts";
import type { RunResult } from "../run/result.ts";
import type { ValidationFile } from "../studies/validate_run.ts";

const esc = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);
const num = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? "—" : x.toFixed(digits));

/** One chart of a report. */
export interface Chart {
  /** File name (without .svg) and anchor. */
  readonly name: string;
  /** The SVG document. */
  readonly svg: string;
}

function page(title: string, verdict: { ok: boolean; text: string }, sections: string[], charts: Chart[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600}
.ok{background:#e6f4ea;color:#1e6b34}.bad{background:#fdecea;color:#8a1f11}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}
th{background:#f6f6f6}.chart{margin:12px 0}small{color:#666}
</style></head><body>
<h1>${esc(title)}</h1>
<div class="verdict ${verdict.ok ? "ok" : "bad"}">${esc(verdict.text)}</div>
${sections.join("\n")}
${charts.map((c) => `<div class="chart" id="${esc(c.name)}">${c.svg}</div>`).join("\n")}
</body></html>
`;
}

function table(rows: readonly (readonly [string, string])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

function runRows(r: RunResult): [string, string][] {
  const c = r.config;
  const rows: [string, string][] = [
    ["members", String(c.n)],
    ["time", c.speedup === 1 ? "real time" : `compressed ${c.speedup}× (times are nominal)`],
    ["T_gossip / T_fail / T_cleanup", `${num(c.T_gossip, 2)} / ${num(c.T_fail, 2)} / ${num(c.T_cleanup, 2)} s`],
    ["seed", String(c.seed)],
  ];
  for (const x of r.crashes) {
    const d = x.detection;
    rows.push([
      `member ${x.member} (${x.cause ?? "crash"}) at ${s(x.atMs)}`,
      `first ${s(d.firstMs)} · median ${s(d.medianMs)} · p99 ${s(d.p99Ms)} · full ${
        s(d.fullMs)
      } · ${d.detected}/${d.observers} observers`,
    ]);
  }
  const m = r.mistakes;
  rows.push([
    "mistakes",
    `${m.count} in ${num(m.pairHours)} pair-hours, 95% CI [${m.ci95[0].toExponential(2)}, ${
      m.ci95[1].toExponential(2)
    }] per pair-hour`,
  ]);
  const b = r.bandwidth;
  rows.push([
    "bytes per member per second",
    `payload ${num(b.meanBytesPerSec)} (${num(b.meanBudgetRatio, 3)} × B = ${b.budgetBytesPerSec}), entries ${
      num(b.meanEntryBytesPerSec)
    }, with headers ${num(b.meanWireBytesPerSec)}`,
  ]);
  const n = r.noise;
  rows.push([
    "noise floor",
    `lateness p50/p99/max ${num(n.latenessP50Ms)}/${num(n.latenessP99Ms)}/${
      num(n.latenessMaxMs)
    } ms, ${n.kernelDrops} kernel drops`,
  ]);
  if (r.proxy) {
    rows.push([
      "proxy",
      `${r.proxy.relayed} relayed, ${r.proxy.lost} lost, ${r.proxy.blackholed} black-holed, ${
        r.proxy.partitioned ?? 0
      } partitioned; ` +
      (r.proxy.balances !== false && r.proxy.sentReconciles !== false && r.proxy.receivedReconciles !== false
        ? "counts reconcile"
        : "counts do NOT reconcile"),
    ]);
  }
  if (r.levels) {
    const l = r.levels;
    rows.push([
      "bytes by level",
      `per member ${num(l.withinSubnetBytesPerSec)} within the subnet, ${
        num(l.crossSubnetBytesPerSec)
      } to other subnets, ${num(l.crossDomainBytesPerSec)} to other domains; out of a subnet ${
        num(l.subnetOutBytesPerSec.mean)
      } (max ${num(l.subnetOutBytesPerSec.max)}), out of a domain ${num(l.domainOutBytesPerSec.mean)} B/s`,
    ]);
  }
  if (r.broadcasts) {
    rows.push([
      "catastrophe broadcasts",
      `${r.broadcasts.broadcasts} sent, ${r.broadcasts.copies} copies, one per ${
        r.broadcasts.meanIntervalSeconds === null ? "—" : num(r.broadcasts.meanIntervalSeconds)
      } s per subnet`,
    ]);
  }
  for (const rm of r.remerges ?? []) {
    rows.push([
      `re-merge after the ${rm.label} heal`,
      `${rm.remerged}/${rm.pairs} split pairs back, median ${
        rm.medianMs === null ? "—" : num(rm.medianMs / 1000)
      } s, ` +
      (rm.fullMs === null ? "some never re-merged" : `all within ${num(rm.fullMs / 1000)} s`),
    ]);
  }
  return rows;
}

/** A rendered report: the HTML page, the Markdown page and the charts as SVG files. */
export interface Report {
  /** Self-contained HTML. */
  readonly html: string;
  /** Markdown linking `charts/<name>.svg`. */
  readonly markdown: string;
  /** The charts. */
  readonly charts: readonly Chart[];
}

async function charts(list: [string, Promise<string> | null][]): Promise<Chart[]> {
  const out: Chart[] = [];
  for (const [name, svg] of list) if (svg) out.push({ name, svg: await svg });
  return out;
}

function markdown(title: string, verdict: string, rows: [string, string][], list: readonly Chart[]): string {
  return [
    `# ${title}`,
    "",
    `**${verdict}**`,
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
    ...list.map((c) => `![${c.name}](charts/${c.name}.svg)`),
    "",
  ].join("\n");
}

/** Report of one run (and of its validation, when there is one). */
export async function runReport(r: RunResult, validation?: ValidationFile): Promise<Report> {
  const title = `gossip-harness · ${r.scenario}`;
  const verdict = r.faithful ? "Faithful run" : `NOT faithful: ${r.noise.reasons.join("; ")}`;
  const list = await charts([
    ["detection-cdf", detectionCdf(r)],
    ["model-p-mistake", modelMistakeCurve(r)],
    ["bandwidth", bandwidthPerMember(r)],
    ["noise", noiseOverTime(r)],
    ["validation", validation ? validationCurve(validation) : null],
    ["infection", validation ? infectionCurve(validation) : null],
  ]);
  const rows = runRows(r);
  return {
    html: page(title, { ok: r.faithful, text: verdict }, [table(rows)], list),
    markdown: markdown(title, verdict, rows, list),
    charts: list,
  };
}

/** Report of a benchmark suite (and its check against a baseline). */
export async function suiteReport(suite: SuiteResult): Promise<Report> {
  const title = `gossip-harness · benchmark suite ${suite.startedAt}`;
  const ok = suite.cases.every((c) => c.faithful);
  const verdict = ok ? "Every case faithful" : "Some cases NOT faithful";
  const rows: [string, string][] = suite.cases.map((c) => [
    c.id,
    `${c.faithful ? "faithful" : "NOT faithful"} · median detection ${s(c.medianMs)} · ${c.mistakes} mistakes · ${
      num(c.bytesPerSec)
    } B/s/member · lateness p99 ${num(c.latenessP99Ms)} ms · ${num(c.wallSeconds)} s wall`,
  ]);
  const detection = suite.cases.filter((c) => c.medianMs !== null).map((c) => ({
    case: c.id,
    seconds: c.medianMs! / 1000,
  }));
  const list = await charts([
    [
      "median-detection",
      detection.length === 0 ? null : renderSvg({
        title: "Median detection per case (nominal s)",
        data: { values: detection },
        mark: "bar",
        encoding: {
          x: { field: "case", type: "nominal", sort: null, title: null },
          y: { field: "seconds", type: "quantitative", title: "seconds" },
        },
      }),
    ],
    [
      "bytes-per-member",
      renderSvg({
        title: "Payload bytes per member per second per case",
        data: { values: suite.cases.map((c) => ({ case: c.id, bytesPerSec: c.bytesPerSec })) },
        mark: "bar",
        encoding: {
          x: { field: "case", type: "nominal", sort: null, title: null },
          y: { field: "bytesPerSec", type: "quantitative", title: "bytes/s" },
        },
      }),
    ],
  ]);
  return {
    html: page(title, { ok, text: verdict }, [table(rows)], list),
    markdown: markdown(title, verdict, rows, list),
    charts: list,
  };
}

/** Writes report.html, report.md and charts/*.svg into `dir`. */
export async function writeReport(dir: string, report: Report): Promise<void> {
  await Deno.mkdir(`${dir}/charts`, { recursive: true });
  for (const c of report.charts) await writeTextAtomic(`${dir}/charts/${c.name}.svg`, c.svg);
  await writeTextAtomic(`${dir}/report.md`, report.markdown);
  await writeTextAtomic(`${dir}/report.html`, report.html);
}
