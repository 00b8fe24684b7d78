/**
 * A run's propagation episodes from its journal: the hosts' records merged
 * (`episodesOf`), and `episodes.csv` (`writeEpisodesCsv`). Columnar and
 * written in chunks, so a simulated validation's ten million episodes fit.
 *
 * @module
 */

import type { EpisodeRecord } from "../metrics/episodes.ts";
import { writeChunksAtomic } from "../os/files.ts";
import type { Journal } from "./reader.ts";

/**
 * Merges the hosts' episode records, keeps live sources' before the cutoff, in origin order
 * (ties in the order the journal first lists them). Columnar, so ten million episodes fit.
 */
export function episodesOf(j: Journal): EpisodeRecord[] {
  const sc = j.header.scenario;
  if (!sc.episodes) return [];
  let total = 0;
  for (const line of j.episodes) total += Math.floor(line.records.length / 5);
  const source = new Float64Array(total);
  const counter = new Float64Array(total);
  const origin = new Float64Array(total);
  const learned = new Float64Array(total);
  const maxProp = new Float64Array(total);
  let size = 16;
  while (size < 2 * total) size *= 2;
  const mask = size - 1;
  const table = new Int32Array(size).fill(-1);
  let count = 0;
  for (const line of j.episodes) {
    const flat = line.records;
    for (let i = 0; i + 4 < flat.length; i += 5) {
      const s = flat[i]!, c = flat[i + 1]!;
      let h = Math.imul(s | 0, 0x9e3779b1) ^ (c | 0);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = (h ^ (h >>> 13)) & mask;
      let at = table[h]!;
      while (at >= 0 && !(source[at] === s && counter[at] === c)) {
        h = (h + 1) & mask;
        at = table[h]!;
      }
      if (at >= 0) {
        learned[at]! += flat[i + 3]!;
        maxProp[at] = Math.max(maxProp[at]!, flat[i + 4]!);
        continue;
      }
      table[h] = count;
      source[count] = s;
      counter[count] = c;
      origin[count] = flat[i + 2]!;
      learned[count] = flat[i + 3]!;
      maxProp[count] = flat[i + 4]!;
      count++;
    }
  }
  const failed = new Set(sc.failedMembers);
  const cutoff = sc.episodes.cutoffMs;
  const kept: number[] = [];
  let sorted = true;
  for (let k = 0; k < count; k++) {
    if (failed.has(source[k]!) || !(origin[k]! <= cutoff)) continue;
    const last = kept[kept.length - 1];
    if (last !== undefined && (origin[k]! - origin[last]! || source[k]! - source[last]!) < 0) sorted = false;
    kept.push(k);
  }
  if (!sorted) kept.sort((a, b) => origin[a]! - origin[b]! || source[a]! - source[b]! || a - b);
  const out = new Array<EpisodeRecord>(kept.length);
  for (let k = 0; k < kept.length; k++) {
    const at = kept[k]!;
    out[k] = {
      source: source[at]!,
      counter: counter[at]!,
      originMs: origin[at]!,
      learned: learned[at]!,
      maxPropMs: maxProp[at]!,
    };
  }
  return out;
}

/** Lines of episodes.csv built into one string before it is written. */
const CSV_CHUNK = 65_536;

/** Writes `episodes.csv` atomically, in chunks (millions of lines are never one string); times to the µs. */
export function writeEpisodesCsv(path: string, episodes: readonly EpisodeRecord[]): Promise<void> {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return writeChunksAtomic(
    path,
    function* () {
      yield "source,counter,originMs,learned,maxPropMs\n";
      for (let at = 0; at < episodes.length; at += CSV_CHUNK) {
        let text = "";
        for (const e of episodes.slice(at, at + CSV_CHUNK)) {
          text += `${e.source},${e.counter},${r3(e.originMs)},${e.learned},${r3(e.maxPropMs)}\n`;
        }
        yield text;
      }
    }(),
  );
}
