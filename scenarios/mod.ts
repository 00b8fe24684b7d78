/**
 * The built-in scenarios, by name.
 *
 * @module
 */

import type { ScenarioInput } from "../harness/scenario/mod.ts";
import accuracy from "./accuracy.ts";
import catastrophe from "./catastrophe.ts";
import compare from "./compare.ts";
import demo from "./demo.ts";
import dissemination from "./dissemination.ts";
import faults from "./faults.ts";
import isolatedReturn from "./isolated_return.ts";
import memberlistCrash from "./memberlist_crash.ts";
import serfCrash from "./serf_crash.ts";
import slowMembers from "./slow_members.ts";

/** Every built-in scenario, by name. */
export const SCENARIOS: Readonly<Record<string, ScenarioInput>> = {
  demo,
  accuracy,
  faults,
  compare,
  catastrophe,
  dissemination,
  "memberlist-crash": memberlistCrash,
  "serf-crash": serfCrash,
  "isolated-return": isolatedReturn,
  "slow-members": slowMembers,
};
