/**
 * The one error for bad scenario input: the field's full path
 * (`faults[2].rule.impairment.ms`), what is allowed and the value given.
 * Flags that set a field are reported by the CLI under the flag's name.
 *
 * @module
 */

import { ConfigError } from "../../lib/core/errors.ts";

/** A scenario field outside its allowed range, or unknown. */
export class ScenarioError extends ConfigError {
  /**
   * Creates the error.
   * @param field Path of the field at fault, e.g. `crashes[0].member`.
   * @param message What is wrong (prefixed with "Invalid scenario: ").
   */
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(field, `Invalid scenario: ${message}`, options);
    this.name = "ScenarioError";
  }

  /**
   * A lib-level {@linkcode ConfigError} about a field under `prefix` (e.g.
   * `swim`) as a scenario error: the path is composed, the message kept.
   */
  static from(error: ConfigError, prefix: string, context = ""): ScenarioError {
    const field = prefix === "" ? error.field : `${prefix}.${error.field}`;
    return new ScenarioError(field, `${context}${prefix === "" ? "" : `'${field}': `}${error.message}`, {
      cause: error,
    });
  }
}
