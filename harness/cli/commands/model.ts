// deno-lint-ignore-file no-console -- a command of the terminal UI.
/**
 * `harness model`.
 *
 * @module
 */

import { type Command, Option } from "@commander-js/extra-typings";
import {
  answerModel,
  MODEL_METHODS,
  modelCurve,
  type ModelMethod,
  type ModelQuery,
  timeGrid,
  toCsv,
  toTable,
} from "../../studies/model_table.ts";
import { ModelParamError } from "../../../lib/model/gossip_markov.ts";

import { type CliContext, integer, number, UsageError } from "../common.ts";

/** Registers the command on `program`. */
export function register(program: Command, _ctx: CliContext): void {
  program.command("model")
    .description("the paper's analysis without running any member: T_fail for n, f, loss, B and P_mistake, and curves")
    .option("-n, --members <list>", "members n, or a comma list to sweep (integers >= 2)", "50")
    .option("-f, --failed <list>", "members failed from the start, f (0 <= f <= n-2), or a comma list", "1")
    .option("--loss <list>", "message loss probability in [0, 1), or a comma list", "0")
    .option("--budget <list>", "per-member budget B in bytes/s (>= 8), or a comma list", "250")
    .option("--p-mistake <list>", "target mistake probability in (0, 1), or a comma list", "1e-3")
    .addOption(
      new Option("--method <m>", "exact chain (single-gossiper rounds) or appendix A mean-field (full rounds)")
        .choices(MODEL_METHODS).default("chain" as ModelMethod),
    )
    .option("--curve", "print the P_mistake curve over T (one query only) instead of T_fail")
    .option("--max-seconds <s>", "curve: largest T (default 1.5 T_fail)", number(0, 1e9, { openLow: true }))
    .option("--points <k>", "curve: number of points", integer(2, 100000), 61)
    .option("--csv", "CSV instead of a table")
    .option("--json", "JSON instead of a table")
    .action((opts) => {
      const list = (flag: string, raw: string, parse: (v: string) => number) =>
        raw.split(",").map((v) => {
          try {
            return parse(v.trim());
          } catch (error) {
            throw new UsageError(`${flag}: '${v}' ${error instanceof Error ? error.message : error}`);
          }
        });
      const members = list("--members", opts.members, integer(2, 1e6));
      const failed = list("--failed", opts.failed, integer(0, 1e6));
      const losses = list("--loss", opts.loss, number(0, 1, { openHigh: true }));
      const budgets = list("--budget", opts.budget, number(8, 1e12));
      const targets = list("--p-mistake", opts.pMistake, number(0, 1, { openLow: true, openHigh: true }));
      const queries: ModelQuery[] = [];
      for (const n of members) {
        for (const f of failed) {
          for (const loss of losses) {
            for (const b of budgets) {
              for (const p of targets) {
                queries.push({ members: n, failed: f, loss, budgetBytesPerSec: b, pMistake: p, method: opts.method });
              }
            }
          }
        }
      }
      const flagOf: Record<string, string> = {
        members: "--members",
        failed: "--failed",
        loss: "--loss",
        budget: "--budget",
        pMistake: "--p-mistake",
      };
      const guard = <T>(fn: () => T): T => {
        try {
          return fn();
        } catch (error) {
          if (error instanceof ModelParamError) {
            throw new UsageError(`${flagOf[error.param] ?? error.param}: ${error.message}`);
          }
          throw error;
        }
      };
      if (opts.curve) {
        if (queries.length !== 1) throw new UsageError("--curve: give one value per flag (no comma lists)");
        const q = queries[0]!;
        const answer = guard(() => answerModel(q));
        const maxSeconds = opts.maxSeconds ?? 1.5 * answer.tFailSeconds;
        const curve = guard(() => modelCurve(q, timeGrid(maxSeconds, opts.points)));
        if (opts.json) console.log(JSON.stringify({ ...answer, curve }, null, 2));
        else if (opts.csv) console.log(toCsv(curve).trimEnd());
        else {
          console.log(
            `n=${q.members} f=${q.failed} loss=${q.loss} B=${q.budgetBytesPerSec} method=${q.method}: ` +
              `T_gossip ${answer.tGossipSeconds.toFixed(3)} s, T_fail ${answer.tFailSeconds.toFixed(3)} s ` +
              `for P_mistake ${q.pMistake} (r = ${answer.rounds} ${answer.roundsKind} rounds)`,
          );
          console.log(toTable(curve).trimEnd());
        }
        return;
      }
      const answers = queries.map((q) => guard(() => answerModel(q)));
      if (opts.json) console.log(JSON.stringify(answers.length === 1 ? answers[0] : answers, null, 2));
      else if (opts.csv) console.log(toCsv(answers).trimEnd());
      else console.log(toTable(answers).trimEnd());
    });
}
