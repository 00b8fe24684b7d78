/**
 * Carries out one action of the fault schedule on the fleet and the fault
 * injector, and says what the journal records of it. Which side acts is
 * decided by the action alone: crash, recover, partitions and rules are the
 * injector's; kill, restart, pause and resume the fleet's.
 *
 * @module
 */

import type { Action } from "../faults/schedule.ts";
import type { Fleet } from "../hosting/fleet.ts";
import type { FaultLine } from "../journal/records.ts";
import type { FaultInjector } from "../proxy/injector.ts";

/** Carries out `action`; resolves to the instant (epoch ms) it took effect. */
export async function execute(action: Action, fleet: Fleet, injector: FaultInjector): Promise<number> {
  switch (action.type) {
    case "crash":
      return await injector.setBlackhole(action.member, true);
    case "recover":
      return await injector.setBlackhole(action.member, false);
    case "pause":
    case "resume":
      return await fleet.control(action.member, action.type);
    case "slow":
      return await fleet.control(action.member, "slow", {
        intervalMs: action.intervalMs,
        stoppedFraction: action.stoppedFraction,
      });
    case "fast":
      return await fleet.control(action.member, "fast");
    case "kill":
      // The injector learns first, so nothing is sent to the closing socket.
      await injector.setDead(action.member, true);
      return await fleet.control(action.member, "kill");
    case "restart": {
      const at = await fleet.control(action.member, "restart");
      await injector.setDead(action.member, false);
      return at;
    }
    case "partition":
      return await injector.setPartition(action.cuts);
    case "heal":
      return await injector.heal();
    case "addRule":
      return await injector.addRule(action.rule);
    case "removeRule":
      return await injector.removeRule(action.id);
  }
}

const DOWN = new Set(["crash", "kill", "pause"]);
const UP = new Set(["recover", "restart", "resume"]);

/** Keeps the sets of members down (crashed, killed or paused) and paused up to date after `action`. */
export function trackDown(action: Action, down: Set<number>, paused: Set<number>): void {
  if (DOWN.has(action.type)) down.add((action as { member: number }).member);
  if (UP.has(action.type)) down.delete((action as { member: number }).member);
  if (action.type === "pause") paused.add(action.member);
  if (action.type === "resume") paused.delete(action.member);
}

/** The journal's record of an action carried out at nominal time `t`. */
export function faultLine(action: Action, t: number): FaultLine {
  const base = { type: "fault", t: Math.round(t * 1000) / 1000, index: action.fault } as const;
  switch (action.type) {
    case "partition":
      return { ...base, fault: "partition", spec: action.spec };
    case "heal":
      return { ...base, fault: "heal" };
    case "addRule":
      return { ...base, fault: "addRule", rule: action.rule };
    case "removeRule":
      return { ...base, fault: "removeRule", id: action.id };
    case "slow":
      return {
        ...base,
        fault: "slow",
        member: action.member,
        intervalMs: action.intervalMs,
        stoppedFraction: action.stoppedFraction,
      };
    default:
      return { ...base, fault: action.type, member: action.member };
  }
}
