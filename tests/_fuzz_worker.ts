// Runs one detector family's fuzz (`_fuzz.ts`) per request, for `fuzz_test.ts`.
/// <reference lib="deno.worker" />
import { runFamily } from "./_fuzz.ts";

self.onmessage = (event: MessageEvent<{ index: number; datagrams: number }>) => {
  const { index, datagrams } = event.data;
  try {
    self.postMessage({ index, ...runFamily(index, datagrams) });
  } catch (error) {
    self.postMessage({ index, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
};
