// harness validate --simulate: the validation in the simulator, one run or pooled phase layouts, re-analysed
// from the saved files to the same validation.json.
// deno-lint-ignore-file no-console -- the CLI test silences the CLI's output.
import { assert, assertEquals } from "@std/assert";
import { main } from "../harness/cli/main.ts";
import { revalidate, runValidation, type ValidationFile } from "../harness/studies/validate_run.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "validate-sim-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The file without its wall time and the median full propagation (episodes.csv keeps times to the µs). */
const comparable = (file: ValidationFile) => ({
  ...file,
  wallSeconds: 0,
  roundsTo: { ...file.roundsTo, measured: { ...file.roundsTo.measured, all: file.roundsTo.measured.all?.toFixed(5) } },
});

Deno.test("runValidation({ simulate }) measures episodes in virtual time and writes the same validation.json layout", () =>
  inTempDir(async (dir) => {
    const { file, result } = await runValidation({ members: 20, episodes: 4000, seed: 2, simulate: true, outDir: dir });
    assertEquals([file.mode, result.mode], ["simulated", "simulated"]);
    assert(file.conclusive, file.inconclusiveBecause.join("; "));
    assert(file.rows.length > 5 && file.rows.every((r) => r.episodes >= 4000), `${file.rows[0]?.episodes}`);
    // The measured column is the simulator: no toy simulation beside it.
    assert(file.rows.every((r) => r.simulatedPerEpisode === null));
    assertEquals(file.layouts, undefined);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/validation.json`));
    assertEquals(saved.mode, "simulated");
    assertEquals(comparable(await revalidate(dir)), comparable(file));
  }));

Deno.test("validate --simulate --layouts pools independent phase layouts, and --from re-analyses them", () =>
  inTempDir(async (dir) => {
    const { file } = await runValidation({
      members: 20,
      episodes: 6000,
      seed: 5,
      simulate: true,
      layouts: 3,
      outDir: dir,
    });
    assertEquals(file.layouts, [5, 6, 7]);
    assert(file.rows.every((r) => r.episodes >= 6000));
    for (const r of file.rows) {
      // The pooled q lies within the range of the layouts' own.
      const [low, high] = r.simulatedLayoutRange!;
      assert(low <= r.measuredPerEpisode + 1e-12 && r.measuredPerEpisode <= high + 1e-12, `T=${r.seconds}`);
    }
    for (const i of [1, 2, 3]) {
      const r = JSON.parse(await Deno.readTextFile(`${dir}/layout-${i}/result.json`));
      assertEquals([r.mode, r.config.seed], ["simulated", 4 + i]);
    }
    assertEquals(comparable(await revalidate(dir)), comparable(file));
    const log = console.log, error = console.error;
    console.log = console.error = () => {};
    try {
      assertEquals(await main(["validate", "--layouts", "2", "-o", `${dir}/x`]), 2);
      // The command line pools ten layouts by default when simulating.
      const args = ["validate", "--simulate", "-n", "12", "--episodes", "2000", "-o", `${dir}/cli`, "--no-progress"];
      assertEquals(await main(args), 0);
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/cli/validation.json`));
      assertEquals([saved.mode, saved.layouts.length], ["simulated", 10]);
    } finally {
      console.log = log;
      console.error = error;
    }
  }));
