/**
 * @module The durable-state contract on memory and on a directory (see
 * test/support/control-log-contract.ts), plus what only the directory adapter promises: a torn
 * last line after kill -9 is cut off, the lock refuses a second process and is taken over once
 * its owner is dead.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DirectoryLockedError,
  createMemoryDurableState,
  openFileDurableState,
  type SnapshotOptions,
} from '../../core/durable/index.js';
import { controlLogContract, entries, readAll, shape, type Op } from '../support/control-log-contract.js';

const root = await mkdtemp(path.join(tmpdir(), 'rswarm-control-log-'));
let dirs = 0;

/** A new directory under this run's temp root. */
const freshDir = () => path.join(root, `state-${++dirs}`);

controlLogContract('memory', {
  open: (options?: SnapshotOptions) => Promise.resolve(createMemoryDurableState(options)),
});

let lastDir = '';
controlLogContract('file', {
  open: (options) => openFileDurableState((lastDir = freshDir()), options),
  reopen: (options) => openFileDurableState(lastDir, options),
});

/** The pid of a process that has exited (so certainly not alive now). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('file adapter specifics', () => {
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('a torn last line is ignored, then cut off before the next append', async () => {
    const dir = freshDir();
    const state = await openFileDurableState(dir);
    await state.log<Op>().append(entries(1, 3, 1));
    await state.close();
    const [segment] = await readdir(path.join(dir, 'log'));
    const file = path.join(dir, 'log', segment!);
    await appendFile(file, '{"seq":4,"term":1,"at":4,"kind":"entry","value":{"by":"a","n"');
    const again = await openFileDurableState(dir);
    try {
      const log = again.log<Op>();
      assert.deepEqual(shape(await readAll(log)), ['1:e:1:a', '2:e:1:a', '3:e:1:a']);
      await log.append(entries(4, 1, 1));
      const lines = (await readFile(file, 'utf8')).split('\n');
      assert.equal(lines.length, 5);
      assert.equal(lines.at(-1), '');
      assert.deepEqual(JSON.parse(lines[3]!), {
        seq: 4,
        term: 1,
        at: 1004,
        kind: 'entry',
        value: { by: 'a', n: 4 },
      });
    } finally {
      await again.close();
    }
  });

  test('a corrupt line before the end stops the open, naming the file', async () => {
    const dir = freshDir();
    const state = await openFileDurableState(dir);
    await state.log<Op>().append(entries(1, 1, 1));
    await state.close();
    const [segment] = await readdir(path.join(dir, 'log'));
    await appendFile(path.join(dir, 'log', segment!), 'garbage\n');
    await assert.rejects(openFileDurableState(dir), new RegExp(`corrupt line in .*${segment!}`));
    // The failed open released the lock.
    await (await openFileDurableState(path.join(dir, 'other'))).close();
    await assert.rejects(openFileDurableState(dir), /corrupt line/);
  });

  test('a second opener is refused with the directory and the holding pid; close releases', async () => {
    const dir = freshDir();
    const state = await openFileDurableState(dir);
    await assert.rejects(openFileDurableState(dir), (err: unknown) => {
      assert.ok(err instanceof DirectoryLockedError);
      assert.equal(err.code, 'STATE_DIR_LOCKED');
      assert.equal(err.pid, process.pid);
      assert.ok(err.message.includes(path.resolve(dir)), err.message);
      assert.match(err.message, new RegExp(`pid ${process.pid}`));
      return true;
    });
    await state.close();
    await state.close();
    const again = await openFileDurableState(dir);
    await again.close();
  });

  test('a lock left by a dead process is taken over', async () => {
    const dir = freshDir();
    const state = await openFileDurableState(dir);
    await state.log<Op>().append(entries(1, 2, 1));
    await state.close();
    const pid = await deadPid();
    await writeFile(path.join(dir, 'LOCK'), JSON.stringify({ pid, host: 'x', at: 1 }));
    const again = await openFileDurableState(dir);
    try {
      assert.equal((await readAll(again.log())).length, 2);
      const lock = JSON.parse(await readFile(path.join(dir, 'LOCK'), 'utf8')) as { pid: number };
      assert.equal(lock.pid, process.pid);
    } finally {
      await again.close();
    }
  });

  test('kill -9 of a process appending: every record that made it is read back, consecutive', async () => {
    const dir = freshDir();
    const module = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../core/durable/index.ts');
    const script = `
      import { openFileDurableState } from ${JSON.stringify(module)};
      const state = await openFileDurableState(${JSON.stringify(dir)});
      const log = state.log();
      let seq = 1;
      for (;;) {
        const batch = Array.from({ length: 50 }, (_, i) => ({ seq: seq + i, term: 1, at: 0, payload: { n: seq + i, pad: 'x'.repeat(200) } }));
        await log.append(batch);
        seq += 50;
        if (seq > 500) process.stdout.write('going\\n');
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`appender exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const state = await openFileDurableState(dir);
    try {
      const records = await readAll(state.log<{ n: number }>());
      assert.ok(records.length >= 500, `${records.length} records`);
      records.forEach((r, i) => {
        assert.equal(r.seq, i + 1);
        assert.equal(r.kind === 'entry' && r.payload.n, i + 1);
      });
      await state.log().append(entries(records.length + 1, 1, 1));
    } finally {
      await state.close();
    }
  });
});
