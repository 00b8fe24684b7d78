/**
 * Entry point of the proxy process. Reads one JSON command per line on
 * stdin and answers one JSON line per command on stdout (see
 * `proxy_process.ts` for the commands). Exits when stdin closes, so the
 * proxy never outlives the harness that started it.
 *
 * @module
 */

import { forEachLine, writeLineSync } from "../os/child.ts";
import { selfUsage } from "../os/readings.ts";
import { UdpProxy } from "./udp_proxy.ts";
import type { ProxyCommand, ProxyReply } from "./proxy_process.ts";

let proxy: UdpProxy | undefined;
function reply(message: ProxyReply): void {
  writeLineSync(message);
}

async function handle(command: ProxyCommand): Promise<ProxyReply> {
  switch (command.op) {
    case "start":
      proxy = UdpProxy.start(command.options);
      return {
        id: command.id,
        ok: true,
        publicPorts: [...proxy.publicPorts],
        broadcastPort: proxy.broadcastPort,
        pid: Deno.pid,
      };
    case "blackhole":
      return {
        id: command.id,
        ok: true,
        atMs: requireProxy().setBlackhole(command.member, command.on),
      };
    case "loss":
      requireProxy().setLoss(command.probability);
      return { id: command.id, ok: true };
    case "addRule":
      return { id: command.id, ok: true, atMs: requireProxy().addRule(command.rule) };
    case "removeRule":
      return { id: command.id, ok: true, atMs: requireProxy().removeRule(command.ruleId) };
    case "partition":
      return { id: command.id, ok: true, atMs: requireProxy().setPartition(command.cuts) };
    case "dead":
      return { id: command.id, ok: true, atMs: requireProxy().setDead(command.member, command.dead) };
    case "heal":
      return { id: command.id, ok: true, atMs: requireProxy().heal() };
    case "healAll":
      return { id: command.id, ok: true, atMs: requireProxy().healAll() };
    case "counters":
      return { id: command.id, ok: true, counters: requireProxy().counters({ links: command.links !== false }) };
    case "usage":
      return { id: command.id, ok: true, usage: selfUsage() };
    case "close":
      await proxy?.close();
      proxy = undefined;
      return { id: command.id, ok: true };
  }
}

function requireProxy(): UdpProxy {
  if (!proxy) throw new Error("the proxy has not been started");
  return proxy;
}

await forEachLine(Deno.stdin.readable, async (line) => {
  let command: ProxyCommand;
  try {
    command = JSON.parse(line) as ProxyCommand;
  } catch (error) {
    reply({ id: -1, ok: false, error: `bad command line: ${String(error)}` });
    return;
  }
  try {
    reply(await handle(command));
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    reply({
      id: command.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      errorName: name,
    });
  }
  if (command.op === "close") Deno.exit(0);
});
// stdin closed: the harness is gone.
await proxy?.close();
Deno.exit(0);
