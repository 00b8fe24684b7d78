// Re-analysis check shared by the run tests: a run's journal, analysed
// again into another directory, gives what the run wrote, field by field.
import { assert } from "@std/assert";
import { analyzeJournal } from "../harness/journal/analyze.ts";

function close(a: unknown, b: unknown, path: string, diffs: string[]): void {
  if (typeof a === "number" && typeof b === "number") {
    if (!(a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)))) {
      diffs.push(`${path}: ${a} vs ${b}`);
    }
    return;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    if (a !== b) diffs.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    return;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, diffs);
  }
}

/** Re-analyses `dir`'s journal into a fresh directory and asserts the result equals `dir/result.json`. */
export async function assertReanalysisEquals(dir: string): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "reanalysis-" });
  try {
    const written = JSON.parse(await Deno.readTextFile(`${dir}/result.json`));
    await analyzeJournal(dir, out);
    const again = JSON.parse(await Deno.readTextFile(`${out}/result.json`));
    const diffs: string[] = [];
    close(again, written, "result", diffs);
    assert(diffs.length === 0, `re-analysis differs:\n${diffs.slice(0, 20).join("\n")}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
