/**
 * A shard of members: one event loop, one scheduler, one UDP socket per
 * member, serving the requests of `shard_protocol.ts`. The same code runs
 * in a Web Worker (`shard_worker.ts`) or in its own process
 * (`shard_process.ts`, so a pause can be a real SIGSTOP); only the channel
 * differs. Detectors come from the member-kind registry. One shard per
 * isolate, so its state is module state.
 *
 * @module
 */

import { DETECTOR_EVENT_KINDS, type DetectorEvent } from "../../lib/core/detector.ts";
import { Histogram } from "../../lib/core/histogram.ts";
import { kindOf } from "../members/registry.ts";
import { EpisodeTracker } from "../metrics/episodes.ts";
import { serveRequests } from "../os/channel.ts";
import { absNowMs, RunClock } from "../os/clock.ts";
import { FfiUdpTransport, UdpSocketSet } from "../net/ffi_udp.ts";
import type { Transport } from "../net/transport.ts";
import { UdpTransport } from "../net/udp_transport.ts";
import { memberContext } from "./member_context.ts";
import { MemberCounters, MemberHost } from "./member_host.ts";
import { Scheduler } from "./scheduler.ts";
import type { InitRequest, MemberAction, ShardFinal, ShardReport, ShardRequest } from "./shard_protocol.ts";

let init: InitRequest | undefined;
let transports: Transport[] = [];
/** Every member socket of the shard in one epoll set (batched syscalls), when FFI is allowed; else Deno's sockets. */
let socketSet: UdpSocketSet | null = null;
let hosts: MemberHost[] = [];
let scheduler: Scheduler | undefined;
let counters: MemberCounters | undefined;
let pendingEvents: number[] = [];
let tracker: EpisodeTracker | undefined;
let localOrigins: number[] = [];
let started:
  | { clock: RunClock; publicIds: readonly number[]; indexOf: Map<number, number>; broadcastId?: number }
  | undefined;
const restarts = new Map<number, number>();
let flushTimer: ReturnType<typeof setInterval> | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;
let report: (message: ShardReport) => void = () => {};

const KIND_CODE = new Map(DETECTOR_EVENT_KINDS.map((k, i) => [k, i]));

/** Binds one member socket: in the shard's FFI socket set when there is one. */
function bindSocket(port: number): Transport {
  return socketSet ? FfiUdpTransport.bind(socketSet, port) : UdpTransport.bind(port);
}

/** Each hosted member's kernel receive drops (SO_RXQ_OVFL), or null without the FFI set. */
function kernelDrops(): number[] | null {
  const set = socketSet;
  if (!set) return null;
  return transports.map((t) => t instanceof FfiUdpTransport ? set.socketStats(t.handle).kernelDrops : 0);
}

/** Builds a member: a fresh detector (fresh heartbeat) over `transport`. */
function makeHost(
  index: number,
  slot: number,
  transport: Transport,
  startMs: number,
  generation: number,
): MemberHost {
  const cfg = init!;
  const { clock, publicIds, indexOf, broadcastId } = started!;
  const member = memberContext({
    seed: cfg.seed,
    index,
    generation,
    startMs,
    publicIds,
    indexOf,
    levels: cfg.levels,
    catastrophe: cfg.catastrophe,
    broadcastId,
    ...(tracker
      ? {
        onHeartbeat: (counter: number, atMs: number) => {
          tracker!.origin(index, counter, atMs);
          localOrigins.push(index, counter, atMs);
        },
        onLearn: (source: number, from: number, to: number, atMs: number) => tracker!.learn(source, from, to, atMs),
      }
      : {}),
  });
  const kind = kindOf(cfg.kind);
  if (!kind.create) throw new RangeError(`member kind '${cfg.kind}' is not hosted by the harness`);
  const detector = kind.create(cfg.settings, member);
  return new MemberHost(slot, detector, transport, clock, scheduler!, counters!, onEvents, fromProxy);
}

async function control(action: MemberAction, index: number): Promise<void> {
  const slot = init!.members.indexOf(index);
  if (slot < 0) throw new RangeError(`member ${index} is not hosted by shard ${init!.shard}`);
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
      const transport = bindSocket(init!.ports[slot] || transports[slot]!.localPort);
      transports[slot] = transport;
      hosts[slot] = makeHost(index, slot, transport, started!.clock.nominalNow(), generation);
      hosts[slot]!.start();
      return;
    }
  }
}

/** The proxy's addresses: every member's public address and the broadcast address. */
function fromProxy(from: number): boolean {
  return started!.indexOf.has(from) || from === started!.broadcastId;
}

function onEvents(slot: number, events: readonly DetectorEvent[]): void {
  const observer = init!.members[slot]!;
  const indexOf = started!.indexOf;
  for (const e of events) pendingEvents.push(observer, KIND_CODE.get(e.kind)!, indexOf.get(e.member) ?? -1, e.atMs);
}

function flushEvents(): void {
  const shard = init!.shard;
  if (pendingEvents.length > 0) {
    report({ type: "events", shard, events: pendingEvents });
    pendingEvents = [];
  }
  if (!tracker) return;
  if (localOrigins.length > 0) {
    report({ type: "origins", shard, origins: localOrigins });
    localOrigins = [];
  }
  const records = tracker.drain(started!.clock.nominalNow());
  if (records.length === 0) return;
  const flat: number[] = [];
  for (const r of records) flat.push(r.source, r.counter, r.originMs, r.learned, r.maxPropMs);
  report({ type: "episodes", shard, records: flat });
}

function intervalLateness() {
  const summary = scheduler!.intervalLateness.summary();
  scheduler!.intervalLateness.reset();
  return summary;
}

async function handle(request: ShardRequest): Promise<Record<string, unknown>> {
  switch (request.op) {
    case "init": {
      init = request;
      if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
        // One thread, one reactor: the members' timers and sockets wait together in epoll on this thread.
        scheduler = new Scheduler((slot) => hosts[slot]?.tick(), { manual: true });
        const s = scheduler;
        socketSet = UdpSocketSet.open({ reactor: { nextDeadline: () => s.nextAt(), runDue: () => s.runDue() } });
      }
      try {
        for (const port of request.ports) transports.push(bindSocket(port));
      } catch (error) {
        await Promise.all(transports.map((t) => t.close()));
        transports = [];
        await socketSet?.closeAll();
        socketSet = null;
        throw error;
      }
      return { ports: transports.map((t) => t.localPort) };
    }
    case "start": {
      const cfg = init!;
      const clock = new RunClock(request.startAbsMs, cfg.speedup);
      if (cfg.episodes) tracker = new EpisodeTracker(cfg.episodes);
      counters = new MemberCounters(cfg.members.length);
      scheduler ??= new Scheduler((slot) => hosts[slot]!.tick());
      started = {
        clock,
        publicIds: request.publicIds,
        indexOf: new Map(request.publicIds.map((id, i) => [id, i])),
        ...(request.broadcastId !== undefined ? { broadcastId: request.broadcastId } : {}),
      };
      hosts = cfg.members.map((index, slot) => makeHost(index, slot, transports[slot]!, 0, 0));
      for (const host of hosts) host.start();
      flushTimer = setInterval(flushEvents, 200);
      statsTimer = setInterval(() => {
        report({
          type: "stats",
          shard: cfg.shard,
          atAbsMs: absNowMs(),
          counters: counters!.snapshot(),
          lateness: intervalLateness(),
        });
      }, cfg.statsIntervalMs);
      return {};
    }
    case "control":
      await control(request.action, request.member);
      return { atAbsMs: absNowMs() };
    case "origins": {
      const o = request.origins;
      for (let i = 0; i < o.length; i += 3) tracker?.origin(o[i]!, o[i + 1]!, o[i + 2]!);
      return {};
    }
    case "quiesce":
      clearInterval(statsTimer);
      scheduler?.stop();
      if (started) flushEvents();
      return {};
    case "stop": {
      clearInterval(flushTimer);
      clearInterval(statsTimer);
      scheduler?.stop();
      const at = absNowMs();
      const drops = kernelDrops();
      await Promise.all(hosts.length > 0 ? hosts.map((h) => h.stop()) : transports.map((t) => t.close()));
      await socketSet?.closeAll();
      if (started) flushEvents();
      const final: ShardFinal = {
        atAbsMs: at,
        counters: (counters ?? new MemberCounters(init?.members.length ?? 0)).snapshot(),
        kernelDrops: drops,
        lateness: (scheduler?.lateness ?? new Histogram()).toJSON(),
        propagation: tracker ? tracker.propagation.toJSON() : null,
      };
      return { ...final };
    }
  }
}

/**
 * Serves this isolate's shard: `post` carries replies and reports to the
 * coordinator, `close` ends the isolate after the final reply. Returns the
 * function to call with each message from the coordinator.
 */
export function serveShard(post: (message: unknown) => void, close: () => void): (message: unknown) => void {
  report = post;
  return serveRequests(post, async (request) => {
    const answer = await handle(request as unknown as ShardRequest);
    if (request.op === "stop") setTimeout(close, 0);
    return answer;
  });
}
