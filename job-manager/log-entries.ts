import { eventId, type ControlCommand, type LoggedCommands } from '../core/control-state/index.js';
import { isLogFencedError, type LogEntry } from '../core/durable/control-log.js';
import type { ClusterEvent } from '../core/model/records.js';

// How a leader cycle's commands become control-log entries. Kept apart from the leader because
// the numbering must match what a successor computes when it replays the same entries.

/** Commands per log entry at most, and JSON characters (a MongoDB document holds 16 MB). */
const ENTRY_COMMANDS = 1000;
const ENTRY_CHARS = 4 * 1024 * 1024;

/** One log entry's commands and their JSON texts. */
export interface EntryGroup {
  readonly commands: ControlCommand[];
  readonly json: string[];
}

/**
 * The log entries of one cycle, numbered from `firstSeq`, and gives each of the cycle's events
 * its stable id (in place, see {@link identifyEvents}).
 * @param produced per command, in order, its range in `events`
 */
export function logEntries(
  commands: readonly ControlCommand[],
  events: ClusterEvent[],
  produced: readonly (readonly [number, number])[],
  term: number,
  at: number,
  firstSeq: number,
): { readonly entries: LogEntry<LoggedCommands>[]; readonly groups: readonly EntryGroup[] } {
  const groups = entryGroups(commands);
  identifyEvents(events, produced, groups, at, firstSeq);
  const entries: LogEntry<LoggedCommands>[] = groups.map((g, i) => ({
    seq: firstSeq + i,
    term,
    at,
    payload: g.commands,
    json: `[${g.json.join(',')}]`,
  }));
  return { entries, groups };
}

/**
 * Commands in the entries a failed append did persist: a fenced append reports how many of its
 * entries landed, any other failure none (an unanswered write may still have landed, but its
 * intents are not answered as done).
 */
export function persistedCommands(groups: readonly EntryGroup[], err: unknown): number {
  return groups
    .slice(0, isLogFencedError(err) ? err.persisted : 0)
    .reduce((n, g) => n + g.commands.length, 0);
}

/**
 * Gives each event its stable id: the events of entry `k` (seq `firstSeq + k`) are numbered in
 * the order its commands produced them, exactly as a successor replaying that entry numbers them.
 * @param produced per command, in order, its range in `events`
 */
function identifyEvents(
  events: ClusterEvent[],
  produced: readonly (readonly [number, number])[],
  groups: readonly EntryGroup[],
  at: number,
  firstSeq: number,
): void {
  let command = 0;
  groups.forEach((g, k) => {
    let index = 0;
    for (let c = 0; c < g.commands.length; c++, command++) {
      const [from, to] = produced[command] as readonly [number, number];
      for (let e = from; e < to; e++)
        events[e] = { ...(events[e] as ClusterEvent), id: eventId(at, firstSeq + k, index++) };
    }
  });
}

/**
 * A cycle's commands split into log entries: usually one, more only when the cycle is very large
 * (each entry stays a document well under MongoDB's size limit). Each command is serialized once
 * here; the entry's JSON is built from these texts.
 */
function entryGroups(commands: readonly ControlCommand[]): EntryGroup[] {
  const groups: EntryGroup[] = [{ commands: [], json: [] }];
  let chars = 0;
  for (const c of commands) {
    const text = JSON.stringify(c);
    const last = groups[groups.length - 1] as EntryGroup;
    if (
      last.commands.length > 0 &&
      (last.commands.length >= ENTRY_COMMANDS || chars + text.length > ENTRY_CHARS)
    ) {
      groups.push({ commands: [c], json: [text] });
      chars = text.length;
    } else {
      last.commands.push(c);
      last.json.push(text);
      chars += text.length;
    }
  }
  return groups;
}
