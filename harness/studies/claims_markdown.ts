/**
 * Markdown rendering of the claims report (`claims.md`): a table of every
 * claim, then one section per claim with its reasoning and runs.
 *
 * @module
 */

import type { ClaimsReport } from "./claims.ts";

/** Markdown rendering of the report. */
export function renderClaimsMarkdown(report: ClaimsReport): string {
  const lines = [
    "# Claims against measurements",
    "",
    `Produced ${report.startedAt} in ${
      report.wallSeconds.toFixed(0)
    } s of real time, speed-up ${report.settings.speedup}×, ` +
    `episode scale ${report.settings.scale}, seed ${report.settings.seed}. Every measurement ran on loopback UDP through the proxy; ` +
    "a run that was not faithful makes its claims inconclusive.",
    "",
    "| claim | model | measured | verdict |",
    "| --- | --- | --- | --- |",
    ...report.claims.map((c) => `| ${c.claim} | ${c.model} | ${c.measured} | **${c.verdict}** |`),
    "",
  ];
  for (const c of report.claims) {
    lines.push(`## ${c.id}: ${c.verdict}`, "", `*${c.claim}* (${c.source})`, "", c.reasoning, "");
    if (c.runs.length > 0) lines.push(`Runs: ${c.runs.map((r) => `\`${r}/\``).join(", ")}`, "");
  }
  return lines.join("\n");
}
