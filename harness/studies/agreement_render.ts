/**
 * Renders the agreement study (`agreement.ts`) as `agreement.md`: one row
 * per setting with every criterion and the verdict, then the per-seed
 * figures and the conditions the real runs had.
 *
 * @module
 */

import type { AgreementReport } from "./agreement.ts";
import type { CriterionStatus } from "./agreement_judge.ts";

/** `agreement.md`. */
export function agreementMarkdown(report: AgreementReport): string {
  const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
  const r3 = (x: number | null) => (x === null ? "—" : x.toFixed(3));
  const mark = (x: CriterionStatus) => (x === "yes" ? "yes" : x === "no" ? "NO" : "unresolved");
  const noise = (x: number | null) => (x === null ? "" : ` (±${x.toFixed(3)})`);
  const c = report.criteria;
  return [
    "# Simulation against real sockets",
    "",
    `Criteria: detection medians within ±${c.detection * 100}%, mistakes consistent under an exact two-sided ` +
    `Poisson test (p ≥ ${c.mistakesP}), bandwidth within ±${c.bandwidth * 100}%. Method: ${report.method}.`,
    "",
    "| setting | seeds | detection real | detection simulated | ratio (noise) | within 10% | mistakes real / simulated | false declarations real / simulated | pair-hours | p (declarations) | p (raw) | consistent | B/s real | B/s simulated | ratio (noise) | within 2% | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...report.rows.map((r) =>
      `| ${r.id} | ${r.seeds.join(",")} | ${s(r.real.detectionMedianMs)} | ${s(r.simulated.detectionMedianMs)} | ${
        r3(r.detectionRatio)
      }${noise(r.detectionNoise)} | ${
        mark(r.detection)
      } | ${r.real.mistakes} / ${r.simulated.mistakes} | ${r.real.declarations} / ${r.simulated.declarations} | ${
        r.real.pairHours.toFixed(1)
      } | ${r.mistakesP.toPrecision(2)} | ${r.rawMistakesP.toPrecision(2)} | ${mark(r.mistakes)} | ${
        r.real.bytesPerSec.toFixed(2)
      } | ${r.simulated.bytesPerSec.toFixed(2)} | ${r.bandwidthRatio === null ? "—" : r.bandwidthRatio.toFixed(4)}${
        noise(r.bandwidthNoise)
      } | ${mark(r.bandwidth)} | ${r.verdict} |`
    ),
    "",
    "## Per seed and conditions",
    "",
    "| setting | median real | median simulated | B/s real | B/s simulated | detected real | detected simulated | real wall (s) | simulated wall (s) | real lateness p99 (ms) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...report.rows.map((r) =>
      `| ${r.id} | ${r.real.perSeedMedianMs.map(s).join(", ")} | ${r.simulated.perSeedMedianMs.map(s).join(", ")} | ${
        r.real.perSeedBytesPerSec.map((x) => x.toFixed(2)).join(", ")
      } | ${
        r.simulated.perSeedBytesPerSec.map((x) => x.toFixed(2)).join(", ")
      } | ${r.real.detected}/${r.real.observers} | ${r.simulated.detected}/${r.simulated.observers} | ${
        r.real.wallSeconds.toFixed(1)
      } | ${r.simulated.wallSeconds.toFixed(1)} | ${r.real.latenessP99Ms.toFixed(2)} |`
    ),
    "",
    `Machine: ${report.machine.cpus} cores (${report.machine.cpuModel}), 1-minute load average ${
      report.loadAverage.before ?? "?"
    } before and ${report.loadAverage.after ?? "?"} after; ${report.wallSeconds.toFixed(0)} s in all.`,
    "",
    ...report.rows.filter((r) => r.findings.length > 0).map((r) => `- ${r.id}: ${r.findings.join("; ")}`),
    "",
  ].join("\n");
}
