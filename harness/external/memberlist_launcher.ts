/**
 * Starts memberlist members through the Go driver for the external fleet:
 * tethered processes (`../os/tethered.ts`), the driver's events turned into
 * reports, its `members` command into a table.
 *
 * @module
 */

import { ensureSetpriv } from "../os/tethered.ts";
import { withTimeout } from "./_timeout.ts";
import type { MemberReport, ViewState } from "./events.ts";
import type { ExternalLauncher, ExternalMember, LaunchOptions, ViewEntry } from "./launcher.ts";
import {
  ensureMemberlistDriver,
  type MemberlistEvent,
  type MemberlistState,
  spawnMemberlistMember,
} from "./memberlist_driver.ts";
import { type MemberlistSettings, memberlistTuningOf } from "./memberlist_kind.ts";

const VIEW: Readonly<Record<MemberlistState, ViewState>> = {
  alive: "alive",
  suspect: "suspect",
  dead: "failed",
  left: "left",
  "alive-or-suspect": "alive",
  unknown: "unknown",
};

/** The report a driver event makes, or null. */
export function memberlistReport(e: MemberlistEvent): MemberReport | null {
  switch (e.kind) {
    case "join":
    case "update":
      return "alive";
    case "leave":
      return e.state === "left" ? "left" : "failed";
    case "suspect":
      return "suspected";
    default:
      return null;
  }
}

/** memberlist members with resolved `settings`. */
export class MemberlistLauncher implements ExternalLauncher {
  readonly program = "memberlist driver";
  readonly #settings: MemberlistSettings;
  #binary: string | undefined;

  /** A launcher for `settings`. */
  constructor(settings: MemberlistSettings) {
    this.#settings = settings;
  }

  async prepare(): Promise<void> {
    ensureSetpriv();
    this.#binary = await ensureMemberlistDriver();
  }

  async launch(o: LaunchOptions): Promise<ExternalMember> {
    if (!this.#binary) throw new Error("MemberlistLauncher.prepare() was not called");
    const tail: string[] = [];
    const member = spawnMemberlistMember({
      binary: this.#binary,
      name: o.name,
      bindPort: o.bindPort,
      advertisePort: o.advertisePort,
      join: o.join.map((p) => `127.0.0.1:${p}`),
      preset: this.#settings.preset,
      tuning: memberlistTuningOf(this.#settings),
      stderr: "null",
      tethered: true,
      onEvent: (e) => {
        const report = memberlistReport(e);
        if (report !== null && e.subject !== undefined) o.onReport(e.subject, report, e.t);
        else if (e.kind === "error" || e.kind === "log") {
          tail.push(`${e.kind}: ${e.level ?? ""} ${e.message ?? ""}`.trim());
          if (tail.length > 20) tail.shift();
        }
      },
    });
    o.onSpawn(member.child.pid);
    const exited = member.exited.then((s) => ({ code: s.signal ? null : s.code, signal: s.signal ?? null }));
    try {
      await member.ready;
    } catch (error) {
      member.kill("SIGKILL");
      await exited;
      throw new Error(`memberlist member ${o.name}: ${(error as Error).message}; ${tail.join(" | ")}`, {
        cause: error,
      });
    }
    return {
      pid: member.child.pid,
      exited,
      members: async (timeoutMs) => {
        const table = await withTimeout(member.members(), timeoutMs, `${o.name} did not answer 'members'`);
        return table.map((m): ViewEntry => ({ name: m.name, state: VIEW[m.state] ?? "unknown" }));
      },
      kill: (signal) => member.kill(signal),
      close: async () => {
        await member.close(3000);
      },
      outputTail: () => [...tail],
    };
  }
}
