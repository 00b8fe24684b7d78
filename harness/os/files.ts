/**
 * Files written so that a reader never sees half of one: a temporary file
 * in the same directory, then a rename. A killed writer leaves at most a
 * `*.tmp` file, which the next write of the same path removes.
 *
 * @module
 */

/** Writes text atomically. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Writes JSON atomically (non-finite numbers as null, two-space indent). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, JSON.stringify(value, jsonReplacer, 2) + "\n");
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value;
}
