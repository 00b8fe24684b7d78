/**
 * Reads a journal back into its parts. A journal cut short (a killed run)
 * is read as far as it goes: a torn last line is ignored.
 *
 * @module
 */

import { forEachLine } from "../os/child.ts";
import type {
  EndLine,
  EpisodesLine,
  EventLine,
  FaultLine,
  FleetLine,
  HeaderLine,
  JournalLine,
  ProxyLine,
  ReadingsLine,
  StartLine,
  StatsLine,
} from "./records.ts";
import { JOURNAL_VERSION } from "./records.ts";

/** A journal, read. */
export interface Journal {
  readonly header: HeaderLine;
  readonly start: StartLine | null;
  readonly events: EventLine[];
  readonly faults: FaultLine[];
  readonly stats: StatsLine[];
  readonly readings: ReadingsLine[];
  readonly episodes: EpisodesLine[];
  readonly fleet: FleetLine | null;
  readonly proxy: ProxyLine | null;
  readonly end: EndLine | null;
  /** Lines that could not be parsed (a torn last line). */
  readonly torn: number;
}

/** Reads `path`; throws a RangeError when it is not a journal of this version. */
export async function readJournal(path: string): Promise<Journal> {
  using file = await Deno.open(path, { read: true });
  let header: HeaderLine | undefined;
  const j = {
    start: null as StartLine | null,
    events: [] as EventLine[],
    faults: [] as FaultLine[],
    stats: [] as StatsLine[],
    readings: [] as ReadingsLine[],
    episodes: [] as EpisodesLine[],
    fleet: null as FleetLine | null,
    proxy: null as ProxyLine | null,
    end: null as EndLine | null,
    torn: 0,
  };
  await forEachLine(file.readable, (text) => {
    let line: JournalLine;
    try {
      line = JSON.parse(text);
    } catch {
      j.torn++;
      return;
    }
    if ("observer" in line) {
      j.events.push(line);
      return;
    }
    const record = line as Exclude<JournalLine, EventLine>;
    switch (record.type) {
      case "run":
        if (record.journalVersion !== JOURNAL_VERSION) {
          throw new RangeError(
            `${path} is a journal of version ${record.journalVersion}: this harness reads version ${JOURNAL_VERSION}`,
          );
        }
        header = record;
        break;
      case "start":
        j.start = record;
        break;
      case "fault":
        j.faults.push(record);
        break;
      case "stats":
        j.stats.push(record);
        break;
      case "readings":
        j.readings.push(record);
        break;
      case "episodes":
        j.episodes.push(record);
        break;
      case "fleet":
        j.fleet = record;
        break;
      case "proxy":
        j.proxy = record;
        break;
      case "end":
        j.end = record;
        break;
    }
  });
  if (!header) throw new RangeError(`${path} is not a run journal: it has no header line`);
  return { header, ...j };
}
