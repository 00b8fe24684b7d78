/**
 * Answers model questions without running any member: T_fail for given n,
 * f, loss, B and P_mistake (with either the paper's exact chain or its
 * appendix A mean-field version), the P_mistake curve over T, and sweeps
 * over n, f, loss or P_mistake, as rows ready for a table, CSV or JSON.
 *
 * @module
 */

import { ENTRY_BYTES } from "../../lib/basic/codec.ts";
import { fullRoundsForMistake, meanFieldMistakeBound } from "../../lib/model/appendix_a.ts";
import { checkModelParams, mistakeCurve, ModelParamError, roundsForMistake } from "../../lib/model/gossip_markov.ts";

/** Which analysis to use. */
export const MODEL_METHODS = ["chain", "appendix-a"] as const;
/** One of {@linkcode MODEL_METHODS}. */
export type ModelMethod = typeof MODEL_METHODS[number];

/** One model question. */
export interface ModelQuery {
  /** Members, n. */
  readonly members: number;
  /** Members failed from the start, f. */
  readonly failed: number;
  /** Message loss probability. */
  readonly loss: number;
  /** Per-member budget B (bytes/s); T_gossip = 8n / B. */
  readonly budgetBytesPerSec: number;
  /** Target mistake probability. */
  readonly pMistake: number;
  /** Exact chain (single-gossiper rounds) or appendix A (full rounds). */
  readonly method: ModelMethod;
}

/** The model's answer to one {@linkcode ModelQuery}. */
export interface ModelAnswer extends ModelQuery {
  /** Rounds needed: single-gossiper rounds (chain) or full rounds (appendix A). */
  readonly rounds: number;
  /** What `rounds` counts. */
  readonly roundsKind: "single-gossiper" | "full";
  /** `8n / B`. */
  readonly tGossipSeconds: number;
  /** T_fail: `(r / n) T_gossip` (chain) or `r T_gossip` (appendix A). */
  readonly tFailSeconds: number;
  /** `2 T_fail`. */
  readonly tCleanupSeconds: number;
}

/** One point of the P_mistake curve over T. */
export interface ModelCurvePoint {
  /** T (seconds). */
  readonly seconds: number;
  /** Rounds completed by T (of the method's kind). */
  readonly rounds: number;
  /** Per-episode miss probability (chain only; null for appendix A). */
  readonly perEpisode: number | null;
  /** The P_mistake bound at T. */
  readonly pMistake: number;
}

function checkQuery(q: ModelQuery): void {
  checkModelParams(q);
  if (!(q.budgetBytesPerSec >= ENTRY_BYTES)) {
    throw new ModelParamError(
      "budget",
      `'budget' must be at least ${ENTRY_BYTES} bytes/s: current value is ${q.budgetBytesPerSec}`,
    );
  }
  if (!(q.pMistake > 0 && q.pMistake < 1)) {
    throw new ModelParamError("pMistake", `'pMistake' must be in (0, 1): current value is ${q.pMistake}`);
  }
}

/** T_gossip for n and B: `8n / B` seconds. */
export function tGossipSeconds(members: number, budgetBytesPerSec: number): number {
  return (ENTRY_BYTES * members) / budgetBytesPerSec;
}

/** Answers one question. */
export function answerModel(q: ModelQuery): ModelAnswer {
  checkQuery(q);
  const tGossip = tGossipSeconds(q.members, q.budgetBytesPerSec);
  const params = { members: q.members, failed: q.failed, loss: q.loss };
  if (q.method === "chain") {
    const rounds = roundsForMistake(params, q.pMistake);
    const tFail = (rounds / q.members) * tGossip;
    return {
      ...q,
      rounds,
      roundsKind: "single-gossiper",
      tGossipSeconds: tGossip,
      tFailSeconds: tFail,
      tCleanupSeconds: 2 * tFail,
    };
  }
  const rounds = fullRoundsForMistake(params, q.pMistake);
  const tFail = rounds * tGossip;
  return { ...q, rounds, roundsKind: "full", tGossipSeconds: tGossip, tFailSeconds: tFail, tCleanupSeconds: 2 * tFail };
}

/** The P_mistake curve at the given times T (seconds). */
export function modelCurve(q: ModelQuery, seconds: readonly number[]): ModelCurvePoint[] {
  checkQuery(q);
  const tGossip = tGossipSeconds(q.members, q.budgetBytesPerSec);
  const params = { members: q.members, failed: q.failed, loss: q.loss };
  if (q.method === "chain") {
    return mistakeCurve(params, tGossip, seconds).map((p) => ({
      seconds: p.seconds,
      rounds: p.rounds,
      perEpisode: p.perEpisode,
      pMistake: p.bound,
    }));
  }
  const roundsAt = (t: number) => Math.max(0, Math.floor(t / tGossip + 1e-9));
  const bound = meanFieldMistakeBound(params, Math.max(0, ...seconds.map(roundsAt)));
  return seconds.map((t) => ({ seconds: t, rounds: roundsAt(t), perEpisode: null, pMistake: bound[roundsAt(t)]! }));
}

/** `count` evenly spaced times from 0 to `maxSeconds`. */
export function timeGrid(maxSeconds: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (maxSeconds * i) / (count - 1));
}

/** Renders rows as CSV (RFC 4180 quoting where needed). */
export function toCsv<T extends object>(rows: readonly T[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const at = (r: T, c: string) => (r as Record<string, unknown>)[c];
  return [columns.join(","), ...rows.map((r) => columns.map((c) => cell(at(r, c))).join(","))].join("\n") + "\n";
}

/** Renders rows as an aligned text table. */
export function toTable<T extends object>(rows: readonly T[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]!);
  const text = (v: unknown) =>
    v === null || v === undefined
      ? "—"
      : typeof v === "number"
      ? (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4))
      : String(v);
  const cells = rows.map((r) => columns.map((c) => text((r as Record<string, unknown>)[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join("  ");
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n") + "\n";
}
