/**
 * Web Worker entry that hosts a shard of members: one event loop, one
 * scheduler, one UDP socket per member. Driven by `shard_protocol.ts`
 * messages from the coordinator.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { createBasicGossipDetector } from "../lib/basic_gossip.ts";
import { DETECTOR_EVENT_KINDS, type DetectorEvent } from "../lib/detector.ts";
import { Histogram } from "../lib/histogram.ts";
import { deriveSeed, seededPrng } from "../lib/prng.ts";
import { absNowMs, RunClock } from "./clock.ts";
import { MemberCounters, MemberHost } from "./member_host.ts";
import { Scheduler } from "./scheduler.ts";
import type { FromShard, ToShard } from "./shard_protocol.ts";
import { PortInUseError, UdpTransport } from "./udp_transport.ts";

let shard = -1;
let members: readonly number[] = [];
let init: Extract<ToShard, { type: "init" }> | undefined;
let transports: UdpTransport[] = [];
let hosts: MemberHost[] = [];
let scheduler: Scheduler | undefined;
let counters: MemberCounters | undefined;
let pendingEvents: number[] = [];
let flushTimer: ReturnType<typeof setInterval> | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;

const KIND_CODE = new Map(DETECTOR_EVENT_KINDS.map((k, i) => [k, i]));

function post(message: FromShard): void {
  self.postMessage(message);
}

function onEvents(slot: number, events: readonly DetectorEvent[]): void {
  const observer = members[slot]!;
  for (const e of events) {
    pendingEvents.push(observer, KIND_CODE.get(e.kind)!, e.member, e.atMs);
  }
}

function flushEvents(): void {
  if (pendingEvents.length === 0) return;
  post({ type: "events", shard, events: pendingEvents });
  pendingEvents = [];
}

function intervalLateness() {
  const summary = scheduler!.intervalLateness.summary();
  scheduler!.intervalLateness.reset();
  return summary;
}

async function handle(message: ToShard): Promise<void> {
  switch (message.type) {
    case "init": {
      init = message;
      shard = message.shard;
      members = message.members;
      try {
        transports = message.ports.map((port) => UdpTransport.bind(port));
      } catch (error) {
        await Promise.all(transports.map((t) => t.close()));
        transports = [];
        post({
          type: "error",
          shard,
          name: error instanceof Error ? error.name : "Error",
          message: error instanceof Error ? error.message : String(error),
          ...(error instanceof PortInUseError ? { port: error.port } : {}),
        });
        return;
      }
      post({ type: "bound", shard, ports: transports.map((t) => t.localPort) });
      return;
    }
    case "start": {
      const cfg = init!;
      const clock = new RunClock(message.startAbsMs, cfg.speedup);
      counters = new MemberCounters(members.length);
      scheduler = new Scheduler((slot) => hosts[slot]!.tick());
      hosts = members.map((index, slot) => {
        const detector = createBasicGossipDetector({
          self: message.publicIds[index]!,
          members: message.publicIds,
          tGossipMs: cfg.config.tGossipMs,
          tFailMs: cfg.config.tFailMs,
          tCleanupMs: cfg.config.tCleanupMs,
          rng: seededPrng(deriveSeed(cfg.seed, "member", index)),
          startMs: 0,
        });
        return new MemberHost(
          slot,
          detector,
          transports[slot]!,
          clock,
          scheduler!,
          counters!,
          onEvents,
        );
      });
      for (const host of hosts) host.start();
      flushTimer = setInterval(flushEvents, 200);
      statsTimer = setInterval(() => {
        post({
          type: "stats",
          shard,
          atAbsMs: absNowMs(),
          counters: counters!.snapshot(),
          lateness: intervalLateness(),
        });
      }, cfg.statsIntervalMs);
      return;
    }
    case "quiesce": {
      clearInterval(statsTimer);
      scheduler?.stop();
      flushEvents();
      post({ type: "quiesced", shard });
      return;
    }
    case "stop": {
      clearInterval(flushTimer);
      clearInterval(statsTimer);
      scheduler?.stop();
      const at = absNowMs();
      await Promise.all(
        hosts.length > 0 ? hosts.map((h) => h.stop()) : transports.map((t) => t.close()),
      );
      flushEvents();
      post({
        type: "stopped",
        shard,
        atAbsMs: at,
        counters: (counters ?? new MemberCounters(members.length)).snapshot(),
        lateness: (scheduler?.lateness ?? new Histogram()).toJSON(),
      });
      self.close();
      return;
    }
  }
}

let queue = Promise.resolve();
self.onmessage = (event: MessageEvent<ToShard>) => {
  queue = queue.then(() => handle(event.data)).catch((error) => {
    post({
      type: "error",
      shard,
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  });
};
