/**
 * The seam between the external fleet and one real program: how to start a
 * member, what it reports, how to ask for its table and how to end it. The
 * fleet (`fleet.ts`) knows nothing of memberlist or Serf; a launcher
 * (`memberlist_launcher.ts`, `serf_launcher.ts`) knows nothing of runs.
 *
 * @module
 */

import type { MemberReport, ViewState } from "./events.ts";

/** One entry of a real member's own table. */
export interface ViewEntry {
  /** Node name. */
  readonly name: string;
  /** Its state there. */
  readonly state: ViewState;
}

/** How a member process ended. */
export interface MemberExit {
  /** Exit code (null when a signal ended it). */
  readonly code: number | null;
  /** The signal that ended it, or null. */
  readonly signal: string | null;
}

/** A running member process. */
export interface ExternalMember {
  /** Its process id (the program's own: the tethering wrapper executes it). */
  readonly pid: number;
  /** Resolves when the process has ended. */
  readonly exited: Promise<MemberExit>;
  /** Its table now; rejects after `timeoutMs` (a stopped process answers nothing). */
  members(timeoutMs: number): Promise<readonly ViewEntry[]>;
  /** Sends a signal; ignored once it has ended. */
  kill(signal: Deno.Signal): void;
  /** Ends it without a leave (stdin closed or SIGTERM, SIGKILL if it lingers); resolves when it is gone. */
  close(): Promise<void>;
  /** Its last lines of output, for error messages. */
  outputTail(): string[];
}

/** What starting one member takes. */
export interface LaunchOptions {
  /** Member index. */
  readonly index: number;
  /** Node name. */
  readonly name: string;
  /** Private port to bind (UDP and TCP on 127.0.0.1). */
  readonly bindPort: number;
  /** Public (proxy) port to advertise. */
  readonly advertisePort: number;
  /** Public ports of members to join (empty for the first). */
  readonly join: readonly number[];
  /** Called with the process id as soon as the process is spawned (before it joins). */
  readonly onSpawn: (pid: number) => void;
  /** Each report about another member, with the epoch ms it happened (stamped by the program or on arrival). */
  readonly onReport: (subject: string, report: MemberReport, atAbsMs: number) => void;
}

/** Starts members of one real program. */
export interface ExternalLauncher {
  /** What runs, in words ("memberlist driver", "serf agent"). */
  readonly program: string;
  /** Builds or finds the program (and `setpriv`); throws saying how to install what is missing. */
  prepare(): Promise<void>;
  /** Starts one member; resolves once it runs and has joined (rejects if it ends first). */
  launch(options: LaunchOptions): Promise<ExternalMember>;
}

/**
 * A kind whose members are real programs: its registration plus how to
 * launch them. The registry keeps it like any kind; `fleetFor` hosts its
 * members in an external fleet through this launcher.
 */
export function withLauncher<K extends { resolve(input: unknown, ctx: never): unknown }>(
  kind: K,
  launcher: (settings: ReturnType<K["resolve"]>) => ExternalLauncher,
): K & { readonly launcher: (settings: ReturnType<K["resolve"]>) => ExternalLauncher } {
  return { ...kind, launcher };
}

/** The launcher of a kind hosted outside the harness, or undefined for a harness-hosted kind. */
export function launcherOf(kind: object): ((settings: unknown) => ExternalLauncher) | undefined {
  return (kind as { launcher?: (settings: unknown) => ExternalLauncher }).launcher;
}
