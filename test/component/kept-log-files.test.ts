/**
 * @module Ended tasks' kept output on disk (`worker.keptLogDir`, worker/kept-log-files.ts): a
 * worker that restarts reads it back and still answers for tasks that ended before; the files
 * follow the limits (an evicted task's file goes, lower limits after a restart drop the oldest);
 * a task that starts again loses its old file; a broken file is removed, not trusted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { MAX_LOG_CHUNK_BYTES, type LogLine, type TaskRef } from '../../core/protocol/index.js';
import type { ContainerRuntime } from '../../worker/container-runtime.js';
import { KeptLogFiles } from '../../worker/kept-log-files.js';
import { TaskLogKeeper } from '../../worker/task-log-keeper.js';

const AT = '2026-12-03T10:00:00.000000000Z';
const ref = (job: string): TaskRef => ({ job, task: 't1', attempt: 0 });

/** A runtime whose containers print `lines[job]`; only `logs` is used by the keeper. */
function runtimeWith(lines: Record<string, string[]>): ContainerRuntime {
  return {
    logs: (r: TaskRef) =>
      Promise.resolve({
        outcome: 'done' as const,
        reason: null,
        logs: {
          lines: (lines[r.job] ?? []).map((text): LogLine => ({ at: AT, stream: 'stdout', text })),
          cursor: null,
          more: false,
          ended: true,
        },
      }),
  } as unknown as ContainerRuntime;
}

function keeper(dir: string, tasks: number, lines: Record<string, string[]> = {}): TaskLogKeeper {
  return new TaskLogKeeper(
    'w1',
    { keptLogLines: 100, keptLogTasks: tasks, keptLogBytes: 1024 ** 2 },
    {
      runtime: runtimeWith(lines),
      clock: new FakeClock(0),
      logger: silentLogger(),
      files: new KeptLogFiles(dir),
    },
  );
}

async function textsOf(k: TaskLogKeeper, job: string): Promise<string[] | string> {
  const r = await k.read(ref(job), undefined, { tail: 100, maxBytes: MAX_LOG_CHUNK_BYTES });
  return r.logs ? r.logs.lines.map((l) => l.text) : (r.reason ?? r.outcome);
}

test('kept output survives a restart, follows the limits, and broken files are removed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-kept-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = keeper(dir, 2, { a: ['a1', 'a2'], b: ['b1'], 'c/x': ['c1'] });
  await first.keep(ref('a'));
  await first.keep(ref('b'));
  assert.equal(readdirSync(dir).length, 2, 'one file per kept task');

  // A restarted worker: nothing in its runtime, the files read back.
  const second = keeper(dir, 2);
  assert.deepEqual(await textsOf(second, 'a'), ['a1', 'a2']);
  assert.deepEqual(await textsOf(second, 'b'), ['b1']);
  const ended = await second.read(ref('a'), undefined, { tail: 10, maxBytes: MAX_LOG_CHUNK_BYTES });
  assert.equal(ended.logs?.ended, true);

  // A third ended task pushes out the oldest, on disk too; a key with a slash is one file.
  const third = keeper(dir, 2, { 'c/x': ['c1'] });
  await third.keep(ref('c/x'));
  assert.match(String(await textsOf(third, 'a')), /^evicted: worker w1 keeps the last 2 tasks' logs/);
  assert.equal(readdirSync(dir).length, 2);
  assert.deepEqual(await textsOf(keeper(dir, 2), 'c/x'), ['c1']);

  // Lower limits after a restart: the oldest ended go, their files with them.
  const smaller = keeper(dir, 1);
  assert.deepEqual(await textsOf(smaller, 'c/x'), ['c1']);
  assert.match(String(await textsOf(smaller, 'b')), /^evicted/);
  assert.deepEqual(readdirSync(dir), [`${encodeURIComponent('c/x/t1#0')}.json`]);

  // A task that starts again here: the old run's output is stale, its file goes at once.
  smaller.drop(ref('c/x'));
  assert.deepEqual(readdirSync(dir), []);

  // Broken files (a crash mid-write leaves a .tmp; junk; a wrong shape) are removed on start.
  writeFileSync(join(dir, 'x.json.tmp'), '{"v":1');
  writeFileSync(join(dir, 'junk.json'), 'not json');
  writeFileSync(join(dir, 'shape.json'), JSON.stringify({ v: 1, key: 'k', lines: [{ text: 1 }] }));
  const afterCrash = keeper(dir, 2);
  assert.deepEqual(readdirSync(dir), []);
  assert.match(String(await textsOf(afterCrash, 'a')), /is not a task of worker w1/);
  assert.equal(existsSync(dir), true);
});
