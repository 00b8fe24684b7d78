/**
 * The command line (`deno task harness`): one file per command.
 *
 * @module
 */

export { main } from "./main.ts";
export { HARNESS_VERSION } from "./common.ts";
