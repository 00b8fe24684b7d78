/**
 * Entry point of the proxy process: serves the requests of
 * `proxy_process.ts` one JSON line at a time. Exits when stdin closes, so
 * the proxy never outlives the harness that started it.
 *
 * @module
 */

import { forEachLine, leaveParentGroup, writeLineSync } from "../os/child.ts";
import { serveRequests } from "../os/channel.ts";
import { UdpProxy } from "./udp_proxy.ts";

leaveParentGroup();

let proxy: UdpProxy | undefined;

function requireProxy(): UdpProxy {
  if (!proxy) throw new Error("the proxy has not been started");
  return proxy;
}

// deno-lint-ignore no-explicit-any -- requests arrive as JSON; each op reads its own fields.
async function handle(r: any): Promise<Record<string, unknown>> {
  switch (r.op) {
    case "start":
      // The process only relays: its sockets run as the thread's reactor (requests wait at most one
      // 10 ms slice), unless it relays TCP too, whose streams need the event loop at once.
      proxy = UdpProxy.start({ reactor: r.options.tcp !== true, ...r.options });
      return { publicPorts: [...proxy.publicPorts], broadcastPort: proxy.broadcastPort, pid: Deno.pid };
    case "setBlackhole":
      return { atMs: await requireProxy().setBlackhole(r.member, r.on) };
    case "setDead":
      return { atMs: await requireProxy().setDead(r.member, r.dead) };
    case "setPartition":
      return { atMs: await requireProxy().setPartition(r.cuts) };
    case "heal":
      return { atMs: await requireProxy().heal() };
    case "addRule":
      return { atMs: await requireProxy().addRule(r.rule) };
    case "removeRule":
      return { atMs: await requireProxy().removeRule(r.ruleId) };
    case "healAll":
      return { atMs: await requireProxy().healAll() };
    case "setMemberPids":
      await requireProxy().setMemberPids(r.pids);
      return {};
    case "counters":
      return { counters: requireProxy().countersNow({ links: r.links !== false }) };
    case "usage":
      return { usage: UdpProxy.processUsage() };
    case "close":
      await proxy?.close();
      proxy = undefined;
      setTimeout(() => Deno.exit(0), 0);
      return {};
    default:
      throw new Error(`unknown op '${r.op}'`);
  }
}

const serve = serveRequests(writeLineSync, handle);
await forEachLine(Deno.stdin.readable, (line) => serve(JSON.parse(line)));
// stdin closed: the harness is gone.
await proxy?.close();
Deno.exit(0);
