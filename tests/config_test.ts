import { assertEquals, assertThrows } from "@std/assert";
import { deriveGossipConfig } from "../lib/basic/config.ts";
import { ConfigError } from "../lib/core/errors.ts";

Deno.test("deriveGossipConfig() sets T_gossip = 8n/B", () => {
  const table: [number, number, number][] = [
    [50, 250, 1600],
    [100, 250, 3200],
    [1000, 250, 32000],
    [50, 500, 800],
    [10, 80, 1000],
  ];
  for (const [members, budget, tGossipMs] of table) {
    assertEquals(deriveGossipConfig({ members, budgetBytesPerSec: budget }).tGossipMs, tGossipMs);
  }
});

Deno.test("deriveGossipConfig() takes T_fail from the model and T_cleanup = 2 T_fail", () => {
  const c = deriveGossipConfig({ members: 50 });
  assertEquals(c.rounds, 1066);
  assertEquals(c.tFailMs, (1066 / 50) * 1600);
  assertEquals(c.tCleanupMs, 2 * c.tFailMs);
  const o = deriveGossipConfig({ members: 50, tFailMs: 5000 });
  assertEquals([o.tFailMs, o.tCleanupMs], [5000, 10000]);
});

Deno.test("deriveGossipConfig() rejects impossible values, naming the field", () => {
  const cases: [Parameters<typeof deriveGossipConfig>[0], string][] = [
    [{ members: 1 }, "members"],
    [{ members: 50, budgetBytesPerSec: 7 }, "budgetBytesPerSec"],
    [{ members: 50, pMistake: 0 }, "pMistake"],
    [{ members: 50, pMistake: 1 }, "pMistake"],
    [{ members: 50, modelLoss: 1 }, "modelLoss"],
    [{ members: 5, modelFailed: 4 }, "modelFailed"],
    [{ members: 50, tFailMs: 1000, tCleanupMs: 500 }, "tCleanupMs"],
  ];
  for (const [input, field] of cases) {
    assertEquals(assertThrows(() => deriveGossipConfig(input), ConfigError).field, field);
  }
});
