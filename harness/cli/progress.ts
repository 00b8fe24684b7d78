// deno-lint-ignore-file no-console -- this module is the terminal output.
/**
 * Progress display for long runs: a bar on a terminal (cli-progress), a
 * line every quarter of the run otherwise. Always on stderr.
 *
 * @module
 */

import cliProgress from "cli-progress";
import type { RunProgress } from "../run/run.ts";

/** A progress sink the runner calls. */
export interface Progress {
  update(p: RunProgress): void;
  stop(): void;
}

/** A display suited to stderr (bar when it is a terminal). */
export function createProgress(enabled: boolean): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (!Deno.stderr.isTerminal()) {
    let nextQuarter = 0.25;
    return {
      update(p) {
        if (p.phase !== "running" || p.durationMs <= 0) return;
        const done = p.elapsedMs / p.durationMs;
        if (done >= nextQuarter) {
          console.error(
            `… ${Math.round(done * 100)}% · ${(p.elapsedMs / 1000).toFixed(0)}/${
              (p.durationMs / 1000).toFixed(0)
            } s nominal · ` +
              `${p.membersUp} up · ${p.detections} detections · lateness p99 ${p.latenessP99Ms.toFixed(1)} ms`,
          );
          while (done >= nextQuarter) nextQuarter += 0.25;
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: "{bar} {percentage}% | {elapsed_s}/{total_s} s nominal | {up} up, {crashed} crashed | " +
      "{detections} detections | lateness p99 {lateness} ms",
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(p) {
      const payload = {
        elapsed_s: (p.elapsedMs / 1000).toFixed(0),
        total_s: (p.durationMs / 1000).toFixed(0),
        up: p.membersUp,
        crashed: p.crashed,
        detections: p.detections,
        lateness: p.latenessP99Ms.toFixed(1),
      };
      if (!started) {
        bar.start(Math.max(1, Math.round(p.durationMs)), 0, payload);
        started = true;
      }
      bar.update(Math.round(p.elapsedMs), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
