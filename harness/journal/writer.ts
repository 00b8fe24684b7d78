/**
 * Appends journal lines to `events.jsonl` as they happen, synchronously
 * (a line written is on disk even if the harness is killed the next
 * instant, as far as the kernel is concerned).
 *
 * @module
 */

import type { JournalLine } from "./records.ts";

const encoder = new TextEncoder();

/** The journal file of one run. */
export class JournalWriter {
  readonly #file: Deno.FsFile;
  #closed = false;
  /** Lines written. */
  lines = 0;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Creates (truncating) `path`. */
  static async create(path: string): Promise<JournalWriter> {
    return new JournalWriter(await Deno.open(path, { write: true, create: true, truncate: true }));
  }

  /** Appends lines. */
  write(...lines: readonly JournalLine[]): void {
    if (this.#closed || lines.length === 0) return;
    const bytes = encoder.encode(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    let offset = 0;
    while (offset < bytes.length) offset += this.#file.writeSync(bytes.subarray(offset));
    this.lines += lines.length;
  }

  /** Closes the file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}
