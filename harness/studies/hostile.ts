/**
 * Hostile datagrams on real sockets (issue 11): a scenario runs while a
 * sender outside the run (a worker with UDP sockets of its own,
 * `hostile_sender.ts`) blasts seeded hostile datagrams at the members'
 * private ports and at the proxy's public ports. The same scenario runs
 * first without them, for comparison. `harness hostile` prints the
 * outcome.
 *
 * What a sound harness shows: the run ends normally (no shard crashes);
 * members count every datagram that reached a private port from outside
 * the proxy as foreign and drop it unread; the proxy counts every datagram
 * that reached a public port from an unknown source and drops it; no
 * hostile datagram reaches a detector (nothing malformed), so mistakes are
 * those of the quiet run; and the verdict calls the run unfaithful because
 * of the foreign senders (anything reaching a member outside the proxy
 * disturbs the run, even when it is dropped).
 *
 * The sender's ports come from the journal's `start` line, polled while
 * the run starts; it stops a margin before the run ends, so every datagram
 * it sent lands while members and proxy still count.
 *
 * @module
 */

import { deriveSeed } from "../../lib/core/prng.ts";
import type { JournalLine } from "../journal/records.ts";
import { absNowMs } from "../os/clock.ts";
import { type RunOptions, runScenario } from "../run/run.ts";
import type { RunResult } from "../run/result.ts";
import type { Scenario } from "../scenario/mod.ts";
import type { HostileSenderReply, HostileSenderRequest, HostileSendReport } from "./hostile_sender.ts";

/** Options of {@linkcode runHostile}. */
export interface HostileOptions {
  /** The scenario (run twice: quiet, then under hostile traffic). */
  readonly scenario: Scenario;
  /** Output directory: `quiet/` and `hostile/` runs inside. */
  readonly outDir: string;
  /** Hostile datagrams per second, over every port. @default {500} */
  readonly rate?: number;
  /** Fraction aimed at members' private ports (the rest at the proxy's public ports). @default {0.5} */
  readonly privateShare?: number;
  /** Seed of the hostile stream. @default {deriveSeed(scenario.seed, "hostile")} */
  readonly seed?: number;
  /** Run the scenario without hostile traffic first, to compare mistakes. @default {true} */
  readonly quietRun?: boolean;
  /** Aborting stops the runs early (partial results are written). */
  readonly signal?: AbortSignal;
  /** Recorded in the results. */
  readonly harnessVersion?: string;
  /** Called when a phase starts. */
  readonly onStep?: (label: string) => void;
}

/** One check of the study: what was expected and whether it held. */
export interface HostileCheck {
  /** What is checked. */
  readonly what: string;
  /** Whether it held. */
  readonly holds: boolean;
  /** The numbers behind it. */
  readonly detail: string;
}

/** The outcome. */
export interface HostileReport {
  /** The hostile stream's seed and rate. */
  readonly seed: number;
  /** Offered datagrams per second. */
  readonly rate: number;
  /** What the sender sent. */
  readonly sent: HostileSendReport;
  /** The run under hostile traffic. */
  readonly hostile: RunResult;
  /** The same scenario without it, or null when not run. */
  readonly quiet: RunResult | null;
  /** Foreign datagrams the members counted (and dropped). */
  readonly foreign: number;
  /** Datagrams the proxy received from unknown sources (and dropped). */
  readonly unknownSource: number;
  /** Malformed datagrams that reached a detector (hostile ones never should). */
  readonly malformed: number;
  /** The checks, in order. */
  readonly checks: readonly HostileCheck[];
  /** Every check held. */
  readonly holds: boolean;
}

/** Polls `path` for the journal's `start` line (or gives up when `done` settles first). */
async function waitForStart(
  path: string,
  done: Promise<unknown>,
): Promise<Extract<JournalLine, { type: "start" }> | null> {
  let finished = false;
  done.finally(() => finished = true).catch(() => {});
  while (!finished) {
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch {
      // not created yet
    }
    for (const line of text.split("\n")) {
      if (!line.includes('"type":"start"')) continue;
      try {
        return JSON.parse(line) as Extract<JournalLine, { type: "start" }>;
      } catch {
        // half-written: read again
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return null;
}

/** Runs the scenario quiet, then under hostile datagrams, and checks what each side counted. */
export async function runHostile(options: HostileOptions): Promise<HostileReport> {
  const sc = options.scenario;
  const rate = options.rate ?? 500;
  const seed = options.seed ?? deriveSeed(sc.seed, "hostile");
  const privateShare = options.privateShare ?? 0.5;
  const common: Omit<RunOptions, "outDir"> = {
    scenario: sc,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.harnessVersion ? { harnessVersion: options.harnessVersion } : {}),
  };
  let quiet: RunResult | null = null;
  if (options.quietRun !== false) {
    options.onStep?.("the scenario without hostile traffic");
    quiet = await runScenario({ ...common, outDir: `${options.outDir}/quiet` });
  }

  options.onStep?.(`the scenario under ${rate} hostile datagrams/s`);
  const worker = new Worker(new URL("./hostile_sender.ts", import.meta.url), { type: "module" });
  const ask = (message: HostileSenderRequest) =>
    new Promise<HostileSenderReply>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<HostileSenderReply>) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`the hostile sender failed: ${e.message}`));
      };
      worker.postMessage(message);
    });
  let sent: HostileSendReport | undefined;
  let hostile: RunResult;
  try {
    await ask({ type: "bind", sockets: 4 });
    const dir = `${options.outDir}/hostile`;
    await Deno.mkdir(dir, { recursive: true });
    const running = runScenario({ ...common, outDir: dir });
    const start = await waitForStart(`${dir}/events.jsonl`, running);
    let sending: Promise<HostileSenderReply> | undefined;
    if (start) {
      const realMs = (sc.durationMs + sc.recoveryMs) / sc.speedup;
      // Stop a margin before the end, so every datagram lands while members and proxy still count.
      const untilAbsMs = start.startAbsMs + realMs - Math.max(500, 0.1 * realMs);
      if (untilAbsMs > absNowMs()) {
        sending = ask({
          type: "send",
          seed,
          rate,
          untilAbsMs,
          privatePorts: start.members.map((m) => m.privatePort),
          publicPorts: start.members.map((m) => Number(m.public.slice(m.public.lastIndexOf(":") + 1))),
          privateShare,
        });
      }
    }
    hostile = await running;
    // An interrupted run does not wait for the sender's schedule to run out (its counts are then unknown).
    const reply = sending && !hostile.interrupted ? await sending : undefined;
    if (reply?.type === "done") sent = reply.report;
  } finally {
    worker.terminate();
  }
  sent ??= {
    toPrivate: 0,
    toPublic: 0,
    bytes: 0,
    errors: 0,
    byCategory: { random: 0, "wrong-header": 0, crafted: 0, mutated: 0, oversized: 0 },
    largestBytes: 0,
    seconds: 0,
  };

  // Harness-hosted members always count foreign datagrams; null (not measured) counts as none seen.
  const foreign = hostile.noise.foreign ?? 0;
  const unknownSource = hostile.proxy?.unknownSource ?? 0;
  const malformed = hostile.members.malformedDropped ?? 0;
  // Counts may fall short only by what the kernel dropped (RcvbufErrors over the run, machine-wide).
  const drops = hostile.noise.kernelDrops;
  const accounted = (counted: number, sentTo: number) => counted <= sentTo && counted >= sentTo - drops;
  const dropNote = drops > 0 ? ` (${drops} kernel drops in the run)` : "";
  const foreignReason = hostile.noise.reasons.find((r) => r.includes("foreign senders"));
  const otherReasons = hostile.noise.reasons.filter((r) => r !== foreignReason);
  const checks: HostileCheck[] = [
    {
      what: "the run ended normally (no crash, no deadline)",
      holds: hostile.complete && hostile.reason === null,
      detail: hostile.complete ? "complete" : `reason ${hostile.reason}: ${hostile.error}`,
    },
    {
      what: "hostile datagrams were sent to both kinds of port",
      holds: sent.toPrivate > 0 && sent.toPublic > 0 && sent.byCategory.oversized > 0,
      detail:
        `${sent.toPrivate} to private ports, ${sent.toPublic} to public ports (${sent.byCategory.oversized} oversized)`,
    },
    {
      what: "members counted every datagram sent to their private ports as foreign (short only by kernel drops)",
      holds: accounted(foreign, sent.toPrivate),
      detail: `${foreign} foreign of ${sent.toPrivate} sent${dropNote}`,
    },
    {
      what:
        "the proxy counted every datagram sent to its public ports as from an unknown source (short only by kernel drops)",
      holds: accounted(unknownSource, sent.toPublic),
      detail: `${unknownSource} unknown-source of ${sent.toPublic} sent${dropNote}`,
    },
    {
      what: "no hostile datagram reached a detector",
      holds: malformed === 0,
      detail: `${malformed} malformed datagrams reached detectors`,
    },
    ...(quiet
      ? [{
        what: "mistakes unchanged against the quiet run",
        holds: hostile.mistakes.count === quiet.mistakes.count,
        detail: `${hostile.mistakes.count} under hostile traffic, ${quiet.mistakes.count} quiet`,
      }]
      : []),
    {
      what: "the verdict is unfaithful because of the foreign senders",
      holds: !hostile.faithful && foreignReason !== undefined,
      detail: foreignReason
        ? `"${foreignReason}"${otherReasons.length > 0 ? `; also: ${otherReasons.join("; ")}` : ""}`
        : `faithful ${hostile.faithful}; reasons: ${hostile.noise.reasons.join("; ") || "none"}`,
    },
  ];
  return {
    seed,
    rate,
    sent,
    hostile,
    quiet,
    foreign,
    unknownSource,
    malformed,
    checks,
    holds: checks.every((c) => c.holds),
  };
}
