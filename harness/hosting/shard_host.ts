/**
 * A shard of members: one event loop, one scheduler, one UDP socket per
 * member, driven by `shard_protocol.ts` messages from the coordinator. The
 * same code runs in a Web Worker (`shard_worker.ts`) or in its own process
 * (`shard_process.ts`, so a pause can be a real SIGSTOP); only the message
 * channel differs. One shard per isolate, so its state is module state.
 *
 * @module
 */

import { createBasicGossipDetector } from "../../lib/basic/detector.ts";
import { createSwimDetector } from "../../lib/swim/detector.ts";
import { createNeighborDetector } from "../../lib/neighbor/detector.ts";
import { DETECTOR_EVENT_KINDS, type DetectorEvent } from "../../lib/core/detector.ts";
import { Histogram } from "../../lib/core/histogram.ts";
import { deriveSeed, seededPrng } from "../../lib/core/prng.ts";
import { EpisodeTracker } from "../metrics/episodes.ts";
import { absNowMs, RunClock } from "../os/clock.ts";
import { MemberCounters, MemberHost } from "./member_host.ts";
import { Scheduler } from "./scheduler.ts";
import type { FromShard, ToShard } from "./shard_protocol.ts";
import { PortInUseError, UdpTransport } from "../net/udp_transport.ts";

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
let startInfo:
  | { clock: RunClock; publicIds: readonly number[]; indexOf: Map<number, number>; broadcastId?: number }
  | undefined;
const restarts = new Map<number, number>();

/** Builds a member: a fresh detector (fresh heartbeat) over `transport`. */
function makeHost(
  index: number,
  slot: number,
  transport: UdpTransport,
  startMs: number,
  generation: number,
): MemberHost {
  const cfg = init!;
  const { clock, publicIds, indexOf } = startInfo!;
  const rng = seededPrng(
    generation === 0
      ? deriveSeed(cfg.seed, "member", index)
      : deriveSeed(cfg.seed, "member", index, "restart", generation),
  );
  const swim = cfg.config.swim;
  if (cfg.config.detector === "swim" && swim) {
    const detector = createSwimDetector({
      self: publicIds[index]!,
      members: publicIds,
      protocolPeriodMs: swim.protocolPeriodMs,
      pingTimeoutMs: swim.pingTimeoutMs,
      indirectChecks: swim.indirectChecks,
      suspicionTimeoutMs: swim.suspicionTimeoutMs,
      lifeguard: swim.lifeguard,
      ...(swim.gossipIntervalMs !== null ? { gossipIntervalMs: swim.gossipIntervalMs } : {}),
      gossipNodes: swim.gossipNodes,
      rng,
      startMs,
    });
    return new MemberHost(slot, detector, transport, clock, scheduler!, counters!, onEvents);
  }
  const neighbor = cfg.config.neighbor;
  if (cfg.config.detector === "neighbor" && neighbor) {
    const detector = createNeighborDetector({ self: publicIds[index]!, members: publicIds, ...neighbor, rng, startMs });
    return new MemberHost(slot, detector, transport, clock, scheduler!, counters!, onEvents);
  }
  const levels = cfg.config.topology;
  const catastrophe = cfg.config.catastrophe;
  const detector = createBasicGossipDetector({
    self: publicIds[index]!,
    members: publicIds,
    tGossipMs: cfg.config.tGossipMs,
    tFailMs: cfg.config.tFailMs,
    tCleanupMs: cfg.config.tCleanupMs,
    rng,
    startMs,
    ...(cfg.config.detector === "phi" && cfg.config.phi ? { phi: cfg.config.phi } : {}),
    ...(cfg.config.style ? { style: cfg.config.style } : {}),
    ...(levels
      ? {
        topology: {
          levelOf: (id: number) => {
            const i = indexOf.get(id);
            return i === undefined ? undefined : { domain: levels.domain[i]!, subnet: levels.subnet[i]! };
          },
        },
      }
      : {}),
    ...(catastrophe && startInfo!.broadcastId !== undefined
      ? {
        catastrophe: {
          broadcastAddress: startInfo!.broadcastId,
          exponent: catastrophe.exponent,
          reportAfterMs: catastrophe.reportAfterMs,
        },
      }
      : {}),
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
  return new MemberHost(slot, detector, transport, clock, scheduler!, counters!, onEvents);
}

async function control(action: "kill" | "restart" | "pause" | "resume", index: number): Promise<void> {
  const slot = members.indexOf(index);
  if (slot < 0) throw new RangeError(`member ${index} is not hosted by shard ${shard}`);
  const host = hosts[slot]!;
  switch (action) {
    case "pause":
      host.pause();
      return;
    case "resume":
      host.resume();
      return;
    case "kill":
      await host.stop();
      return;
    case "restart": {
      // The same private port (the proxy knows the member by it), a fresh detector and heartbeat.
      const generation = (restarts.get(index) ?? 0) + 1;
      restarts.set(index, generation);
      const transport = UdpTransport.bind(init!.ports[slot] || transports[slot]!.localPort);
      transports[slot] = transport;
      hosts[slot] = makeHost(index, slot, transport, startInfo!.clock.nominalNow(), generation);
      hosts[slot]!.start();
      return;
    }
  }
}
let flushTimer: ReturnType<typeof setInterval> | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;

const KIND_CODE = new Map(DETECTOR_EVENT_KINDS.map((k, i) => [k, i]));

let sink: (message: FromShard) => void = () => {};
let closeSelf: () => void = () => {};

function post(message: FromShard): void {
  sink(message);
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
      startInfo = {
        clock,
        publicIds: message.publicIds,
        indexOf,
        ...(message.broadcastId !== undefined ? { broadcastId: message.broadcastId } : {}),
      };
      hosts = members.map((index, slot) => makeHost(index, slot, transports[slot]!, 0, 0));
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
    case "control": {
      try {
        await control(message.action, message.member);
        post({ type: "controlled", shard, seq: message.seq, atAbsMs: absNowMs() });
      } catch (error) {
        post({ type: "controlled", shard, seq: message.seq, atAbsMs: absNowMs(), error: String(error) });
      }
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
      closeSelf();
      return;
    }
  }
}

let queue = Promise.resolve();

/**
 * Serves this isolate's shard: `send` carries messages to the coordinator,
 * `close` ends the isolate after the final report. Returns the function to
 * call with each message from the coordinator (handled one at a time).
 */
export function serveShard(send: (message: FromShard) => void, close: () => void): (message: ToShard) => void {
  sink = send;
  closeSelf = close;
  return (message) => {
    queue = queue.then(() => handle(message)).catch((error) => {
      post({
        type: "error",
        shard,
        name: error instanceof Error ? error.name : "Error",
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    });
  };
}
