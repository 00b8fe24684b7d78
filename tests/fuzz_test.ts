// deno-lint-ignore-file no-console -- the test reports its counts and rates per family.
// Hostile datagrams (issue 11): every detector family takes at least 10^6 seeded hostile datagrams
// through its decoder and `receive()`, interleaved with `tick()`s (the generator and the checks are
// in `_fuzz.ts`). The families run on FUZZ_WORKERS workers (default 2, CI's cores); FUZZ_DATAGRAMS
// overrides the count per family, e.g. for a quick local run.
import { assert, assertEquals } from "@std/assert";
import { FAMILIES, type Tally } from "./_fuzz.ts";

const DATAGRAMS = Number(Deno.env.get("FUZZ_DATAGRAMS") ?? 1_000_000);
const WORKERS = Math.max(1, Number(Deno.env.get("FUZZ_WORKERS") ?? Math.min(2, navigator.hardwareConcurrency)));

type Outcome = { index: number; tally: Tally; ms: number; error?: undefined } | { index: number; error: string };

/** Runs every family, `WORKERS` at a time, each in a worker of its own making. */
async function runAll(): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const lane = async () => {
    const worker = new Worker(new URL("./_fuzz_worker.ts", import.meta.url), { type: "module" });
    try {
      while (next < FAMILIES.length) {
        const index = next++;
        outcomes[index] = await new Promise<Outcome>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<Outcome>) => resolve(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            reject(new Error(`fuzz worker failed on ${FAMILIES[index]!.name}: ${event.message}`));
          };
          worker.postMessage({ index, datagrams: DATAGRAMS });
        });
      }
    } finally {
      worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(WORKERS, FAMILIES.length) }, lane));
  return outcomes;
}

Deno.test(`fuzz: every detector family takes ${DATAGRAMS} hostile datagrams without a non-DecodeError`, async (t) => {
  const started = performance.now();
  const outcomes = await runAll();
  const wallMs = performance.now() - started;
  for (const [index, family] of FAMILIES.entries()) {
    await t.step(family.name, () => {
      const outcome = outcomes[index]!;
      if (outcome.error !== undefined) throw new Error(outcome.error);
      const { tally: s, ms } = outcome;
      console.log(
        `  ${family.name}: ${s.datagrams} datagrams (${s.rejected} rejected, ${s.accepted} accepted, ${s.oversized} oversized), ${s.ticks} ticks, ${s.sends} sends, most held ${s.maxHeld}; ${
          (ms / 1000).toFixed(1)
        } s, ${Math.round(s.datagrams / (ms / 1000))} datagrams/s`,
      );
      assertEquals(s.datagrams, DATAGRAMS);
      // Both paths were exercised: plenty rejected, plenty accepted (and so merged).
      assert(s.rejected > DATAGRAMS / 10, `${family.name}: only ${s.rejected} rejected`);
      assert(s.accepted > DATAGRAMS / 10, `${family.name}: only ${s.accepted} accepted`);
      assert(s.oversized > 0 || DATAGRAMS < 20_000, `${family.name}: no oversized list`);
    });
  }
  console.log(`  ${FAMILIES.length * DATAGRAMS} datagrams in ${(wallMs / 1000).toFixed(1)} s on ${WORKERS} workers`);
});
