/**
 * @module One key per field in a log line (issue 13, item 6): pino writes a child's bindings after
 * its parent's without merging, so nested `child({ component })` calls wrote `component` twice
 * (JSON.parse keeps the last one, which hides it). Lines are checked on their raw text. Also the
 * log format setting: `auto` is pretty on a terminal only, and JSON lines are the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationStream } from 'pino';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { loadConfig } from '../../core/config/index.js';
import { LeaseKeeper, MemoryLeaseBackend } from '../../core/lease/index.js';
import { componentLogger, createLogger, resolveLogFormat } from '../../core/log/logger.js';

/** The top-level keys of one JSON object, in order and with repeats, read from its raw text. */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, end + 1)) as string);
      expectKey = false;
      i = end;
    } else if (ch === '{' || ch === '[') {
      depth++;
      expectKey = depth === 1;
    } else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',') expectKey = depth === 1;
  }
  return keys;
}

function capture(): { lines: string[]; stream: DestinationStream } {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
}

function assertOneKeyPerField(line: string): void {
  const keys = topLevelKeys(line);
  const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
  assert.deepEqual(repeated, [], `repeated keys in ${line}`);
}

test('topLevelKeys sees a repeated key that JSON.parse hides', () => {
  const raw = '{"a":1,"component":"x","n":{"component":"y"},"s":"\\"k\\":","component":"z"}';
  assert.deepEqual(topLevelKeys(raw), ['a', 'component', 'n', 's', 'component']);
});

test('nested component loggers write each key once: component, module, submodule', () => {
  const { lines, stream } = capture();
  const root = createLogger('debug', stream);
  // The all-in-one's worker wiring: cli names the worker, the agent names itself again with its
  // id, the status reporter is a module of it, and a part of that module below.
  const cliWorker = componentLogger(root, 'worker', { worker: 'local-1' });
  const agent = componentLogger(cliWorker, 'worker', { worker: 'local-1' });
  const reporter = componentLogger(agent, 'status-reporter');
  const part = componentLogger(reporter, 'retry');
  part.info({ extra: 1 }, 'nested');
  assert.equal(lines.length, 1);
  const line = lines[0] ?? '';
  assertOneKeyPerField(line);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed['component'], 'worker');
  assert.equal(parsed['module'], 'status-reporter');
  assert.equal(parsed['submodule'], 'retry');
  assert.equal(parsed['worker'], 'local-1');
  assert.equal(parsed['workerId'], undefined, 'the worker is named once, as `worker`');
});

test("a standalone job-manager's lease keeper logs each key once", async () => {
  const { lines, stream } = capture();
  // `rswarm job-manager`: cli names the process, the control plane names the JobManager again,
  // and the LeaseKeeper names itself under it.
  const standalone = componentLogger(createLogger('info', stream), 'job-manager');
  const jm = componentLogger(standalone, 'job-manager');
  const clock = new FakeClock(1_000_000);
  const lease = new MemoryLeaseBackend(clock).lease({ candidate: { id: 'jm-1', valor: 1 }, ttlMs: 900 });
  const keeper = new LeaseKeeper({ clock, logger: jm, lease });
  await keeper.run();
  await keeper.close();
  await lease.close();
  const elected = lines.find((l) => l.includes('elected leader'));
  assert.ok(elected, `no 'elected leader' line in ${lines.join('')}`);
  assertOneKeyPerField(elected);
  const parsed = JSON.parse(elected) as Record<string, unknown>;
  assert.equal(parsed['component'], 'job-manager');
  assert.equal(parsed['module'], 'lease-keeper');
});

test('log format: auto is pretty on a terminal only; RSWARM_LOG_FORMAT sets it', () => {
  assert.equal(resolveLogFormat('auto', true), 'pretty');
  assert.equal(resolveLogFormat('auto', false), 'json');
  assert.equal(resolveLogFormat('json', true), 'json');
  assert.equal(resolveLogFormat('pretty', false), 'pretty');
  assert.equal(loadConfig({ env: {} }).logFormat, 'auto');
  assert.equal(loadConfig({ env: { RSWARM_LOG_FORMAT: 'json' } }).logFormat, 'json');
  assert.throws(() => loadConfig({ env: { RSWARM_LOG_FORMAT: 'xml' } }), /logFormat/);
});
