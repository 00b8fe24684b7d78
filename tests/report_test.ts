// deno-lint-ignore-file no-console -- the test says when the browser check could not run.
// The HTML report: built from a real run, self-contained, and drawn by a real
// browser (Debian's headless Chromium) to a non-blank screenshot.
import { assert, assertEquals } from "@std/assert";
import { runReport, writeReport } from "../harness/report/html_report.ts";
import { runScenario } from "../harness/run/run.ts";
import { resolveScenario } from "../harness/scenario/mod.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

Deno.test("runReport() writes a self-contained page with every chart, and Chromium draws it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const scenario = resolveScenario({
      name: "report",
      members: 8,
      pMistake: 1e-6,
      duration: { tGossip: 20, tFail: 1 },
      crashes: [{ member: 2, at: { tGossip: 5 } }],
      speedup: 10,
    });
    const result = await runScenario({ scenario, outDir: dir });
    const report = await runReport(result);
    await writeReport(dir, report);
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assertEquals(report.charts.map((c) => c.name), ["detection-cdf", "model-p-mistake", "bandwidth", "noise"]);
    assertEquals((html.match(/<svg/g) ?? []).length, 4);
    assert(!/<script|src="http|href="http|<link /.test(html), "no scripts, no external files");
    assert(html.includes("Faithful run") || html.includes("NOT faithful"));
    for (const c of report.charts) assert((await Deno.stat(`${dir}/charts/${c.name}.svg`)).size > 1000);
    if (!CHROMIUM) {
      // Not a pass in disguise: say so. CI installs Debian's chromium, so there it runs.
      console.warn("report_test: no chromium on this machine; the browser rendering was not checked");
      return;
    }
    const png = `${dir}/report.png`;
    const out = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${dir}/chromium-profile`,
        "--hide-scrollbars",
        "--window-size=1000,1900",
        `--screenshot=${png}`,
        `file://${dir}/report.html`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(out.code, 0, "chromium exited cleanly");
    const bytes = await Deno.readFile(png);
    assertEquals([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
    // A blank 1000x1900 page compresses to a few kB; four charts and a table do not.
    assert(bytes.length > 40_000, `screenshot is ${bytes.length} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
