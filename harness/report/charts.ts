/**
 * The report's charts: Vega-Lite specs rendered to SVG without a browser.
 * The only module that imports Vega; each chart is one function from
 * results to an SVG string.
 *
 * @module
 */

import * as vegaUntyped from "vega";
import * as vlUntyped from "vega-lite";
import { mistakeCurve } from "../../lib/model/gossip_markov.ts";
import type { RunResult } from "../run/result.ts";
import type { ValidationFile } from "../studies/validate_run.ts";

// Typed boundary over the parts of Vega and Vega-Lite used here.
interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}
const vega = vegaUntyped as unknown as {
  View: new (runtime: unknown, options: { renderer: "none" }) => VegaView;
  parse: (spec: unknown) => unknown;
};
const vl = vlUntyped as unknown as { compile: (spec: unknown) => { spec: unknown } };

type Row = Record<string, number | string | null>;

/** Renders a Vega-Lite spec (with inline data) to SVG. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 560,
    height: 260,
    config: {
      font: "system-ui, sans-serif",
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelLimit: 320, orient: "bottom" },
    },
    ...spec,
  }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function rule(value: number, axis: "x" | "y", label: string, color = "#c0392b") {
  return {
    data: { values: [{ v: value, label }] },
    layer: [
      { mark: { type: "rule", color, strokeDash: [4, 3] }, encoding: { [axis]: { field: "v", type: "quantitative" } } },
      {
        mark: { type: "text", color, align: "left", dx: 4, dy: -4, fontSize: 11 },
        encoding: {
          [axis]: { field: "v", type: "quantitative" },
          ...(axis === "x" ? { y: { value: 10 } } : { x: { value: 4 } }),
          text: { field: "label" },
        },
      },
    ],
  };
}

/** Detection latency CDF per down interval, with T_fail marked. */
export function detectionCdf(r: RunResult): Promise<string> | null {
  const rows: Row[] = [];
  for (const c of r.crashes) {
    // Results saved by older builds have no per-observer latencies.
    const xs = c.detection.latenciesMs ?? [];
    xs.forEach((ms, i) => {
      rows.push({
        fault: `member ${c.member} (${c.cause ?? "crash"})`,
        seconds: ms / 1000,
        fraction: (i + 1) / c.detection.observers,
      });
    });
  }
  if (rows.length === 0) return null;
  return renderSvg({
    title: "Detection latency after each fault (CDF over live observers)",
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", interpolate: "step-after", point: false },
        encoding: {
          x: { field: "seconds", type: "quantitative", title: "seconds after the fault (nominal)" },
          y: {
            field: "fraction",
            type: "quantitative",
            title: "observers that detected it",
            scale: { domain: [0, 1] },
          },
          color: { field: "fault", type: "nominal", title: null },
        },
      },
      rule(r.config.T_fail, "x", "T_fail"),
    ],
  });
}

/** Payload bytes per member per second, sorted, against the budget line. */
export function bandwidthPerMember(r: RunResult): Promise<string> | null {
  if (!r.bandwidth.perMemberBytesPerSec) return null; // saved by an older build
  const rows = [...r.bandwidth.perMemberBytesPerSec]
    .sort((a, b) => a - b)
    .map((v, rank) => ({ rank, bytesPerSec: v }));
  return renderSvg({
    title: "Bytes sent per member per second (UDP payload, nominal), sorted",
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", color: "#4c78a8" },
        encoding: {
          x: { field: "rank", type: "ordinal", title: "members, sorted", axis: { labels: false, ticks: false } },
          y: { field: "bytesPerSec", type: "quantitative", title: "bytes/s" },
        },
      },
      rule(r.bandwidth.budgetBytesPerSec, "y", `budget B = ${r.bandwidth.budgetBytesPerSec} B/s`),
    ],
  });
}

/** Timer lateness p99 per shard over time, against the faithfulness limit. */
export function noiseOverTime(r: RunResult): Promise<string> | null {
  if (r.noise.timeline.length === 0) return null;
  const rows = r.noise.timeline.map((t) => ({
    seconds: t.atMs / 1000,
    shard: `shard ${t.shard}`,
    p99: t.latenessP99Ms,
  }));
  return renderSvg({
    title: "Noise floor: timer lateness p99 per stats interval",
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "seconds", type: "quantitative", title: "run time (nominal s)" },
          y: { field: "p99", type: "quantitative", title: "lateness p99 (real ms)" },
          color: { field: "shard", type: "nominal", title: null },
        },
      },
      rule(r.noise.latenessLimitMs, "y", "faithfulness limit"),
    ],
  });
}

/** The model's P_mistake curve over T for the run's n, f and loss, with the chosen T_fail. */
export function modelMistakeCurve(r: RunResult): Promise<string> {
  const c = r.config;
  const seconds = Array.from({ length: 121 }, (_, i) => (1.5 * c.T_fail * i) / 120);
  const points = mistakeCurve(
    { members: c.n, failed: Math.min(c.modelFailed, c.n - 2), loss: c.modelLoss },
    c.T_gossip,
    seconds,
  )
    .filter((p) => p.bound > 0)
    .map((p) => ({ seconds: p.seconds, pMistake: Math.max(p.bound, 1e-12) }));
  return renderSvg({
    title: "The model's P_mistake against T (union bound), T_fail chosen for the target",
    layer: [
      {
        data: { values: points },
        mark: { type: "line", color: "#4c78a8" },
        encoding: {
          x: { field: "seconds", type: "quantitative", title: "T (nominal s)" },
          y: {
            field: "pMistake",
            type: "quantitative",
            title: "P_mistake",
            scale: { type: "log", domain: [1e-12, 1] },
          },
        },
      },
      rule(c.T_fail, "x", `T_fail = ${c.T_fail.toFixed(1)} s`),
    ],
  });
}

/** Measured per-episode miss probability against the model (validate runs). */
export function validationCurve(v: ValidationFile): Promise<string> {
  const rows: Row[] = [];
  for (const r of v.rows) {
    rows.push({ seconds: r.seconds, q: r.modelPerEpisode, series: "model (chain)" });
    if (r.measuredPerEpisode > 0) {
      rows.push({ seconds: r.seconds, q: r.measuredPerEpisode, series: "measured (real sockets)" });
    }
    if (r.simulatedPerEpisode !== null && r.simulatedPerEpisode > 0) {
      rows.push({ seconds: r.seconds, q: r.simulatedPerEpisode, series: "simulated (virtual time)" });
    }
    if (r.appendixAPerEpisode > 0) rows.push({ seconds: r.seconds, q: r.appendixAPerEpisode, series: "appendix A" });
  }
  return renderSvg({
    title: "Per-episode miss probability q(T): model against measurement",
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "seconds", type: "quantitative", title: "T (nominal s)" },
          y: { field: "q", type: "quantitative", title: "q(T)", scale: { type: "log" } },
          color: { field: "series", type: "nominal", title: null },
        },
      },
      rule(v.tFailSeconds, "x", "T_fail"),
    ],
  });
}

/** Mean infection curve: measured, the chain's mean and the push epidemic. */
export function infectionCurve(v: ValidationFile): Promise<string> {
  const rows: Row[] = [];
  for (const p of v.infection) {
    rows.push({ periods: p.periods, fraction: p.measured, series: "measured" });
    rows.push({ periods: p.periods, fraction: p.chain, series: "chain (mean)" });
    rows.push({ periods: p.periods, fraction: p.push, series: "push epidemic" });
  }
  return renderSvg({
    title: "Infection curve: fraction of live observers holding a heartbeat",
    data: { values: rows },
    mark: { type: "line" },
    encoding: {
      x: { field: "periods", type: "quantitative", title: "gossip periods since the heartbeat" },
      y: { field: "fraction", type: "quantitative", title: "fraction holding it", scale: { domain: [0, 1] } },
      color: { field: "series", type: "nominal", title: null },
    },
  });
}
