/**
 * Files written so that a reader never sees half of one: a temporary file
 * in the same directory, then a rename. A killed writer leaves at most a
 * `*.tmp` file, which the next write of the same path removes.
 *
 * @module
 */

/** Writes text atomically, removing temporary files a killed earlier writer of `path` left behind. */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeChunksAtomic(path, [text]);
}

/** Writes the concatenation of `chunks` atomically (a text too large to hold as one string), as `writeTextAtomic`. */
export async function writeChunksAtomic(path: string, chunks: Iterable<string>): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  const base = path.slice(slash + 1);
  try {
    for await (const e of Deno.readDir(dir)) {
      if (
        e.isFile && e.name.startsWith(`${base}.`) && e.name.endsWith(".tmp") &&
        /^\d+$/.test(e.name.slice(base.length + 1, -4))
      ) {
        await Deno.remove(`${dir}/${e.name}`).catch(() => {});
      }
    }
  } catch {
    // the directory is unreadable: the write below reports it
  }
  const tmp = `${path}.${Deno.pid}.tmp`;
  const encoder = new TextEncoder();
  {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    for (const chunk of chunks) {
      const bytes = encoder.encode(chunk);
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
    }
  }
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
