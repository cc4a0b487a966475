/**
 * @module Submission checks of issue 11 items 2 and 3: dots allowed in volume host paths, `..`
 * refused naming the field, the engine's reserved network names refused in both formats, and the
 * job's subnet carried from the document to the worker's assignment (never dropped).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { assignmentOf, claimJob, newJobRecord } from '../../core/control/index.js';
import { validateJob, type JobSpec } from '../../core/job/index.js';
import { sampleJob, T1, TEST_RULES } from '../support/sample-job.js';

type Doc = Record<string, any>;
const p1 = `/job_info/tasks/${T1}`;

function nativeJob(extra: Doc = {}): Doc {
  return { name: 'native-job', tasks: [{ name: 'a', image: 'busybox', cores: 1, memory: '32m' }], ...extra };
}

function accepted(doc: unknown): JobSpec {
  const v = validateJob(doc, TEST_RULES);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.job;
}

function refused(doc: unknown): { code: string; pointer: string; message: string }[] {
  const v = validateJob(doc, TEST_RULES);
  assert.ok(!v.ok, 'expected the document to be refused');
  return v.issues;
}

describe('volume host paths at submission', () => {
  for (const hostPath of [
    '/tmp/rswarm/v1.2',
    '/tmp/rswarm/a..b',
    '/tmp/rswarm/.cache',
    '/nfs/RESTfulSwarm/x.y/z',
  ]) {
    test(`${hostPath} is accepted (dots in names)`, () => {
      const d = sampleJob();
      d['job_info'].tasks[T1].volumes = { [hostPath]: { bind: '/data.d', mode: 'ro' } };
      assert.deepEqual(accepted(d).tasks[0]?.volumes, [
        { hostPath, containerPath: '/data.d', readOnly: true },
      ]);
      const n = nativeJob();
      n['tasks'][0].volumes = { [hostPath]: { bind: '/data' } };
      assert.equal(accepted(n).tasks[0]?.volumes[0]?.hostPath, hostPath);
    });
  }
  const dotDot: [hostPath: string, pointerKey: string][] = [
    ['/tmp/rswarm/../etc', '~1tmp~1rswarm~1..~1etc'],
    ['/tmp/rswarm/..', '~1tmp~1rswarm~1..'],
    ['/tmp/rswarm/a/../../..', '~1tmp~1rswarm~1a~1..~1..~1..'],
  ];
  for (const [hostPath, key] of dotDot) {
    test(`${hostPath} is refused naming the field`, () => {
      const d = sampleJob();
      d['job_info'].tasks[T1].volumes = { [hostPath]: { bind: '/data' } };
      assert.deepEqual(refused(d), [
        {
          code: 'VOLUME_INVALID',
          pointer: `${p1}/volumes/${key}`,
          message: `host path "${hostPath}" may not contain a ".." segment`,
        },
      ]);
      const n = nativeJob();
      n['tasks'][0].volumes = { [hostPath]: { bind: '/data' } };
      assert.deepEqual(
        refused(n).map((i) => [i.code, i.pointer]),
        [['VOLUME_INVALID', `/tasks/0/volumes/${key}`]],
      );
    });
  }
  test('$ stays forbidden in volume keys; dots stay forbidden elsewhere', () => {
    const d = sampleJob();
    d['job_info'].tasks[T1].volumes = { '$where.x': { bind: '/data' } };
    d['job_info'].tasks[T1].environment = { 'a.b': '1' };
    assert.deepEqual(
      refused(d).map((i) => [i.code, i.pointer]),
      [
        ['KEY_FORBIDDEN', `${p1}/volumes/$where.x`],
        ['KEY_FORBIDDEN', `${p1}/environment/a.b`],
      ],
    );
  });
});

describe('reserved network names at submission', () => {
  for (const name of ['host', 'bridge', 'none', 'default']) {
    test(`"${name}" is refused in both formats`, () => {
      const d = sampleJob();
      d['job_info'].network.name = name;
      const [issue] = refused(d);
      assert.equal(issue?.code, 'NETWORK_INVALID');
      assert.equal(issue?.pointer, '/job_info/network/name');
      assert.match(issue?.message ?? '', new RegExp(`"${name}" is reserved`));
      assert.deepEqual(
        refused(nativeJob({ network: { name } })).map((i) => [i.code, i.pointer]),
        [['NETWORK_INVALID', '/network/name']],
      );
    });
  }
  test('other names, and the default per-job name, are accepted', () => {
    assert.equal(accepted(nativeJob({ network: { name: 'hostile' } })).network.name, 'hostile');
    assert.equal(accepted(nativeJob()).network.name, 'RESTfulSwarmNetwork_native-job');
  });
});

test('the subnet travels from the document to the assignment', () => {
  const spec = accepted(sampleJob());
  assert.equal(spec.network.subnet, '129.59.0.0/16');
  const job = claimJob(
    newJobRecord(spec, 0),
    spec.tasks.map((t) => ({
      task: t.name,
      workerId: 'w1',
      coreIds: Array.from({ length: t.cores }, (_, i) => i),
    })),
    1,
  );
  const task = job.tasks[0];
  assert.ok(task);
  assert.deepEqual(assignmentOf(job, task).network, {
    name: spec.network.name,
    driver: 'auto',
    subnet: '129.59.0.0/16',
  });
  const plain = accepted(nativeJob());
  const plainJob = claimJob(newJobRecord(plain, 0), [{ task: 'a', workerId: 'w1', coreIds: [0] }], 1);
  assert.deepEqual(assignmentOf(plainJob, plainJob.tasks[0] as (typeof plainJob.tasks)[number]).network, {
    name: plain.network.name,
    driver: 'auto',
  });
});
