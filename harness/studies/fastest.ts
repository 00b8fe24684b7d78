/**
 * Finds the fastest faithful speed-up for a scenario: short probe runs of
 * the same group (no faults) at doubling speed-ups until the noise floor
 * trips, then the largest one that stayed faithful with headroom (timer
 * lateness p99 at most half the limit), else the largest faithful one.
 *
 * @module
 */

import { runScenario } from "../run/run.ts";
import { resolveScenario, type ScenarioInput } from "../scenario/mod.ts";

/** One probe. */
export interface SpeedupProbe {
  /** Speed-up tried. */
  readonly speedup: number;
  /** Whether the probe was faithful. */
  readonly faithful: boolean;
  /** Timer lateness p99 (real ms). */
  readonly latenessP99Ms: number;
  /** The limit at this speed-up (real ms). */
  readonly limitMs: number;
  /** Why it was not faithful. */
  readonly reasons: readonly string[];
}

/** The choice and its evidence. */
export interface FastestFaithful {
  /** The chosen speed-up (1 if even real time was not faithful). */
  readonly speedup: number;
  /** Every probe, in order. */
  readonly probes: readonly SpeedupProbe[];
}

/** Probes doubling speed-ups (1, 2, 4, ... up to `max`) and picks the fastest faithful one. */
export async function findFastestFaithful(
  input: ScenarioInput,
  options: { readonly outDir: string; readonly max?: number; readonly onProbe?: (speedup: number) => void },
): Promise<FastestFaithful> {
  const probes: SpeedupProbe[] = [];
  const max = options.max ?? 256;
  const { crashes: _c, faults: _f, ...quiet } = input as ScenarioInput & Record<string, unknown>;
  for (let speedup = 1; speedup <= max; speedup *= 2) {
    options.onProbe?.(speedup);
    const g = resolveScenario({ ...quiet, name: `${input.name}-probe`, duration: 1, speedup }).gossip;
    // At least 10 gossip periods and 2 real seconds per probe.
    const durationMs = Math.max(10 * g.tGossipMs, 2000 * speedup);
    const scenario = resolveScenario({ ...quiet, name: `${input.name}-probe`, duration: durationMs, speedup });
    const r = await runScenario({ scenario, outDir: `${options.outDir}/probe-${speedup}x` });
    probes.push({
      speedup,
      faithful: r.faithful,
      latenessP99Ms: r.noise.latenessP99Ms,
      limitMs: r.noise.latenessLimitMs,
      reasons: r.noise.reasons,
    });
    if (!r.faithful) break;
  }
  const faithful = probes.filter((p) => p.faithful);
  const roomy = faithful.filter((p) => p.latenessP99Ms <= 0.5 * p.limitMs);
  const pick = (roomy.at(-1) ?? faithful.at(-1))?.speedup ?? 1;
  return { speedup: pick, probes };
}
