/**
 * Renders a comparison: the side-by-side table of `compare.md` and the
 * infection curves of `infection.svg`.
 *
 * @module
 */

import { renderSvg } from "../report/charts.ts";
import type { ComparisonRow } from "./compare.ts";
import { poissonInterval } from "../../lib/core/stats.ts";

/** `compare.md`: one row per variant, then infection, bytes by level and re-merge where any row has them. */
export function comparisonMarkdown(name: string, rows: readonly ComparisonRow[], equalBudget: boolean): string {
  const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
  const p = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(2));
  const lines = [
    `# Comparison: ${name}`,
    "",
    equalBudget
      ? "Budgets equalised: SWIM's, Lifeguard's and the neighbour detector's periods were scaled by a fault-free pilot's bytes / B."
      : "Budgets not equalised: each variant runs its own default periods.",
    "",
    "| variant | detector | faithful | period | first | median | full | detected | mistakes | B/s/member (payload) | with headers | model |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.variant} | ${r.detector} | ${r.faithful ? "yes" : "NO"} | ${s(r.periodMs)} | ${s(r.firstMs)} | ${
        s(r.medianMs)
      } | ${s(r.fullMs)} | ${r.detectedFraction ?? "—"} | ${r.mistakes} | ${r.bytesPerSec.toFixed(1)}${
        r.pilotBytesPerSec !== null ? ` (pilot ${r.pilotBytesPerSec.toFixed(1)})` : ""
      } | ${r.wireBytesPerSec.toFixed(1)} | ${r.model} |`
    ),
    "",
  ];
  if (rows.some((r) => r.mistakesBySlowness !== null)) {
    const ci = (c: readonly [number, number]) => `[${c[0].toFixed(1)}, ${c[1].toFixed(1)}]`;
    lines.push(
      "Mistakes with slow members (stopped for a share of every interval): about a slow member, by a slow " +
        "observer, and among members neither of which was slow (95% exact Poisson intervals of the counts):",
      "",
      "| variant | mistakes | 95% interval | about slow | by slow observer | among healthy | among healthy 95% |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...rows.filter((r) => r.mistakesBySlowness !== null).map((r) => {
        const b = r.mistakesBySlowness!;
        return `| ${r.variant} | ${r.mistakes} | ${
          ci(r.mistakesCi95)
        } | ${b.aboutSlow} | ${b.bySlowObserver} | ${b.amongHealthy} | ${ci(poissonInterval(b.amongHealthy))} |`;
      }),
      "",
    );
  }
  if (rows.some((r) => r.tcpBytesPerSec !== null)) {
    lines.push(
      "Real programs (memberlist, Serf) are counted at the proxy; they also use TCP on their port (joins, " +
        "push-pull, fallback pings):",
      "",
      "| variant | UDP B/s/member | TCP B/s/member | UDP + TCP |",
      "| --- | --- | --- | --- |",
      ...rows.filter((r) => r.tcpBytesPerSec !== null).map((r) =>
        `| ${r.variant} | ${r.bytesPerSec.toFixed(1)} | ${r.tcpBytesPerSec!.toFixed(1)} | ${
          (r.bytesPerSec + r.tcpBytesPerSec!).toFixed(1)
        } |`
      ),
      "",
    );
  }
  if (rows.some((r) => r.infection)) {
    lines.push(
      "## Infection (gossip periods from a heartbeat's origin)",
      "",
      "| variant | to 50% | to 99% | to all (median) | model 50% | model 99% | B/s/member |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...rows.filter((r) => r.infection).map((r) =>
        `| ${r.variant} | ${p(r.infection!.halfPeriods)} | ${p(r.infection!.p99Periods)} | ${
          p(r.infection!.allPeriods)
        } | ${p(r.infection!.model?.halfPeriods)} | ${p(r.infection!.model?.p99Periods)} | ${
          r.bytesPerSec.toFixed(1)
        } |`
      ),
      "",
    );
  }
  if (rows.some((r) => r.levels)) {
    lines.push(
      "## Bytes by level (per member per second; router load per subnet and per domain)",
      "",
      "| variant | subnets | domains | within subnet | to other subnets | to other domains | out of a subnet (mean / max) | out of a domain (mean / max) |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows.filter((r) => r.levels).map((r) => {
        const l = r.levels!;
        return `| ${r.variant} | ${l.subnets} | ${l.domains} | ${l.withinSubnetBytesPerSec.toFixed(1)} | ${
          l.crossSubnetBytesPerSec.toFixed(1)
        } | ${l.crossDomainBytesPerSec.toFixed(1)} | ${l.subnetOutBytesPerSec.mean.toFixed(1)} / ${
          l.subnetOutBytesPerSec.max.toFixed(1)
        } | ${l.domainOutBytesPerSec.mean.toFixed(1)} / ${l.domainOutBytesPerSec.max.toFixed(1)} |`;
      }),
      "",
    );
  }
  if (rows.some((r) => r.remerge || r.broadcasts !== null)) {
    lines.push(
      "## Re-merge after the healed partition",
      "",
      "| variant | broadcasts | split pairs | re-merged | median | all re-merged |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows.map((r) =>
        `| ${r.variant} | ${r.broadcasts ?? "off"} | ${r.remerge?.pairs ?? 0} | ${r.remerge?.remerged ?? 0} | ${
          s(r.remerge?.medianMs ?? null)
        } | ${r.remerge ? (r.remerge.fullMs === null ? "never" : s(r.remerge.fullMs)) : "—"} |`
      ),
      "",
    );
  }
  return lines.join("\n");
}

/** `infection.svg`: every variant's mean infection curve (rows without one contribute nothing). */
export function infectionChart(rows: readonly ComparisonRow[]): Promise<string> {
  const values = rows.flatMap((r) =>
    (r.infection?.curve ?? []).map((p) => ({ periods: p.periods, fraction: p.fraction, variant: r.variant }))
  );
  return renderSvg({
    title: "Infection curves: mean fraction of live members holding a heartbeat",
    data: { values },
    mark: { type: "line" },
    encoding: {
      x: { field: "periods", type: "quantitative", title: "gossip periods since the heartbeat" },
      y: { field: "fraction", type: "quantitative", title: "fraction holding it", scale: { domain: [0, 1] } },
      color: { field: "variant", type: "nominal", title: null },
    },
  });
}
