/**
 * Reading a Serf agent's log lines (as `monitor` sends them) into member
 * events. Pure: no I/O, no clock.
 *
 * Lines look like `2026/12/03 07:34:32 [INFO] serf: EventMemberFailed: b 127.0.0.1`
 * (Go's `log.LstdFlags`: local time, whole seconds).
 *
 * @module
 */

/** What a member event says happened to its subject. */
export type SerfEventKind = "failed" | "joined" | "left" | "suspected";

/** Who wrote the line: Serf's event (the member list changed) or memberlist's failure detector. */
export type SerfEventSource = "serf" | "memberlist";

/** A log line that reports a member event. */
export interface SerfLogEvent {
  /** What happened to the subject. */
  readonly kind: SerfEventKind;
  /** Node name the line is about. */
  readonly subject: string;
  /** IP the line carries (Serf lines), or `undefined` (memberlist lines name the node only). */
  readonly address: string | undefined;
  /** Who wrote the line. */
  readonly source: SerfEventSource;
  /** The line's own timestamp, epoch ms at whole-second resolution (local time), if it has one. */
  readonly logTimeMs: number | undefined;
}

const TIMESTAMP = /^\s*(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) /;

/** The line's timestamp as epoch ms (local time, whole seconds), or `undefined`. */
export function serfLogTimeMs(line: string): number | undefined {
  const m = TIMESTAMP.exec(line);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/** Line patterns, in the order they are tried. A pattern's first group is the subject, the second the IP. */
const PATTERNS: readonly { re: RegExp; kind: SerfEventKind; source: SerfEventSource }[] = [
  { re: /\[INFO\] serf: EventMemberJoin: (.+) (\S+)$/, kind: "joined", source: "serf" },
  { re: /\[INFO\] serf: EventMemberFailed: (.+) (\S+)$/, kind: "failed", source: "serf" },
  { re: /\[INFO\] serf: EventMemberLeave(?: \(forced\))?: (.+) (\S+)$/, kind: "left", source: "serf" },
  { re: /\[INFO\] memberlist: Suspect (.+) has failed, no acks received$/, kind: "suspected", source: "memberlist" },
  { re: /\[INFO\] memberlist: Marking (.+) as failed, suspect timeout reached/, kind: "failed", source: "memberlist" },
];

/**
 * The member event a log line reports, or `undefined` for any other line.
 *
 * - `serf: EventMemberJoin|EventMemberFailed|EventMemberLeave[ (forced)]: <name> <ip>`:
 *   the agent's member list changed (source `serf`).
 * - `memberlist: Suspect <name> has failed, no acks received`: this agent's
 *   own probe of `<name>` failed; repeated at each failed probe while the
 *   suspicion lasts (`suspected`, source `memberlist`).
 * - `memberlist: Marking <name> as failed, suspect timeout reached (<k> peer confirmations)`:
 *   this agent's suspicion timer expired (`failed`, source `memberlist`);
 *   Serf logs its `EventMemberFailed` for the same change right after.
 */
export function parseSerfLogLine(line: string): SerfLogEvent | undefined {
  for (const { re, kind, source } of PATTERNS) {
    const m = re.exec(line);
    if (m === null) continue;
    return { kind, subject: m[1]!, address: m[2], source, logTimeMs: serfLogTimeMs(line) };
  }
  return undefined;
}

/** Whether `line` is the agent's log of accepting the RPC client at `clientAddr` (`ip:port`, as the agent sees it). */
export function isAcceptedClientLine(line: string, clientAddr: string): boolean {
  return line.endsWith(`[INFO] agent.ipc: Accepted client: ${clientAddr}`);
}
