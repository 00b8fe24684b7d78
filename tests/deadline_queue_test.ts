import { assertEquals } from "@std/assert";
import { DeadlineQueue, MAX_TIMEOUT_MS } from "../harness/os/deadline_queue.ts";
import { absNowMs } from "../harness/os/clock.ts";

Deno.test("DeadlineQueue does not fire a deadline beyond setTimeout's range early (a 25-day run lasts 25 days)", async () => {
  const fired: string[] = [];
  const q = new DeadlineQueue<string>((item) => fired.push(item));
  const now = absNowMs();
  q.push(now + MAX_TIMEOUT_MS + 60_000, "far");
  q.push(now + 20, "near");
  await new Promise((r) => setTimeout(r, 80));
  assertEquals(fired, ["near"]);
  assertEquals(q.size, 1);
  assertEquals(q.stop(), 1);
});

Deno.test("DeadlineQueue runs due items in time order, ties in insertion order, never early", async () => {
  const fired: [string, number][] = [];
  const q = new DeadlineQueue<string>((item, late) => fired.push([item, late]));
  const now = absNowMs();
  q.push(now + 30, "b");
  q.push(now + 10, "a");
  q.push(now + 30, "c");
  await new Promise((r) => setTimeout(r, 80));
  assertEquals(fired.map(([x]) => x), ["a", "b", "c"]);
  assertEquals(fired.every(([, late]) => late >= 0), true);
  q.stop();
});
