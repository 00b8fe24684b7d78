/**
 * The one error class for a configuration value outside its allowed range,
 * thrown by every detector family's option checks. Bad bytes from a peer
 * are a different condition: `DecodeError` in `wire.ts`.
 *
 * @module
 */

/** A configuration value outside its allowed range. */
export class ConfigError extends RangeError {
  /** The field at fault. */
  readonly field: string;
  /**
   * Creates the error.
   * @param field The field at fault.
   */
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
    this.field = field;
  }
}
