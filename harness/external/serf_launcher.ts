/**
 * Starts Serf agents for the external fleet: tethered processes
 * (`../os/tethered.ts`), monitor events turned into reports (Serf's own
 * `EventMember*` lines for joins, failures and leaves; memberlist's
 * "Suspect" lines for suspicions), RPC `members` into a table.
 *
 * @module
 */

import { ensureSetpriv } from "../os/tethered.ts";
import { raceTimeout, TIMED_OUT } from "./_timeout.ts";
import type { MemberReport, ViewState } from "./events.ts";
import type { ExternalLauncher, ExternalMember, LaunchOptions, ViewEntry } from "./launcher.ts";
import { spawnSerfAgent } from "./serf_agent.ts";
import { allocateLoopbackPorts, ensureSerf } from "./serf_args.ts";
import type { SerfSettings } from "./serf_kind.ts";
import type { SerfEvent } from "./serf_monitor.ts";

/** The report a monitor event makes, or null (memberlist's "Marking … as failed" duplicates Serf's own line). */
export function serfReport(e: SerfEvent): MemberReport | null {
  switch (e.kind) {
    case "joined":
      return "alive";
    case "failed":
      return e.source === "serf" ? "failed" : null;
    case "left":
      return "left";
    case "suspected":
      return "suspected";
  }
}

function viewState(status: string): ViewState {
  switch (status) {
    case "alive":
    case "leaving":
      return "alive";
    case "failed":
      return "failed";
    case "left":
      return "left";
    default:
      return "unknown";
  }
}

/** Serf agents with resolved `settings`. */
export class SerfLauncher implements ExternalLauncher {
  readonly program = "serf agent";
  readonly #settings: SerfSettings;
  readonly #rpcPorts = new Map<number, number>();
  #serf: string | undefined;

  /** A launcher for `settings`. */
  constructor(settings: SerfSettings) {
    this.#settings = settings;
  }

  async prepare(): Promise<void> {
    ensureSetpriv();
    this.#serf = await ensureSerf();
  }

  async launch(o: LaunchOptions): Promise<ExternalMember> {
    if (!this.#serf) throw new Error("SerfLauncher.prepare() was not called");
    // A member keeps its RPC port across restarts.
    let rpcPort = this.#rpcPorts.get(o.index);
    if (rpcPort === undefined) this.#rpcPorts.set(o.index, rpcPort = allocateLoopbackPorts(1)[0]!);
    const agent = await spawnSerfAgent({
      name: o.name,
      bindPort: o.bindPort,
      advertisePort: o.advertisePort,
      rpcPort,
      profile: this.#settings.profile,
      join: o.join,
      serfPath: this.#serf,
      tethered: true,
      onSpawn: o.onSpawn,
      startTimeoutMs: 15_000,
      rpcTimeoutMs: 3000,
      stopGraceMs: 2000,
      onEvent: (e) => {
        const report = serfReport(e);
        if (report !== null) o.onReport(e.subject, report, e.t);
      },
    });
    const exited = agent.status.then((s) => ({ code: s.signal ? null : s.code, signal: s.signal ?? null }));
    return {
      pid: agent.pid,
      exited,
      members: async (timeoutMs) => {
        const table = await raceTimeout(agent.members(), timeoutMs);
        if (table === TIMED_OUT) throw new Error(`${o.name} did not answer 'members'`);
        return table.map((m): ViewEntry => ({ name: m.name, state: viewState(m.status) }));
      },
      kill: (signal) => agent.kill(signal),
      close: async () => {
        await agent.close();
      },
      outputTail: () => agent.outputTail(),
    };
  }
}
