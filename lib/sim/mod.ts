/**
 * A deterministic in-process network for detectors in virtual time.
 *
 * @module
 */

export * from "./simulate.ts";
