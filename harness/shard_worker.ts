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
import { EpisodeTracker } from "./episodes.ts";
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
let tracker: EpisodeTracker | undefined;
let localOrigins: number[] = [];
let runClock: RunClock | undefined;
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
  if (pendingEvents.length > 0) {
    post({ type: "events", shard, events: pendingEvents });
    pendingEvents = [];
  }
  if (!tracker) return;
  if (localOrigins.length > 0) {
    post({ type: "origins", shard, origins: localOrigins });
    localOrigins = [];
  }
  postEpisodes(tracker.drain(runClock!.nominalNow()));
}

function postEpisodes(records: ReturnType<EpisodeTracker["drain"]>): void {
  if (records.length === 0) return;
  const flat: number[] = [];
  for (const r of records) flat.push(r.source, r.counter, r.originMs, r.learned, r.maxPropMs);
  post({ type: "episodes", shard, records: flat });
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
      runClock = clock;
      const indexOf = new Map(message.publicIds.map((id, i) => [id, i]));
      if (cfg.episodes) tracker = new EpisodeTracker(cfg.episodes);
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
          ...(tracker
            ? {
              onHeartbeat: (counter: number, atMs: number) => {
                tracker!.origin(index, counter, atMs);
                localOrigins.push(index, counter, atMs);
              },
              onLearn: (source: number, from: number, to: number, atMs: number) => {
                const s = indexOf.get(source);
                if (s !== undefined) tracker!.learn(s, from, to, atMs);
              },
            }
            : {}),
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
    case "origins": {
      const o = message.origins;
      for (let i = 0; i < o.length; i += 3) tracker?.origin(o[i]!, o[i + 1]!, o[i + 2]!);
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
        propagation: tracker ? tracker.propagation.toJSON() : null,
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
