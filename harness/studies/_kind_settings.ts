/**
 * Private helper of the comparison: the settings a scenario input gives a
 * member kind.
 *
 * @module
 */

import type { ScenarioInput } from "../scenario/mod.ts";

/** The settings object `input` holds under a kind's `settingsKey` (undefined when it has none). */
export function kindSettingsInput(input: ScenarioInput, key: string): Record<string, unknown> | undefined {
  return (input as Record<string, unknown>)[key] as Record<string, unknown> | undefined;
}
