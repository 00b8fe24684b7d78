/**
 * The journal (events.jsonl): written as a run happens, read back to compute every figure.
 *
 * @module
 */

export * from "./analyze.ts";
export * from "./reader.ts";
export * from "./records.ts";
export * from "./writer.ts";
