/**
 * @module The original's job documents on the compatibility route (issue 14, item 6): read
 * leniently there (unknown fields and network drivers become warnings), strictly everywhere else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateJob, type JobValidation } from '../../core/job/index.js';
import { jsonPointer } from '../../core/errors/index.js';
import { TEST_RULES, sampleJob } from '../support/sample-job.js';
import { originalClientSequence, originalSampleJobs } from '../support/original-fixtures.js';

const lenient = (doc: unknown): JobValidation =>
  validateJob(doc, TEST_RULES, { format: 'original', lenient: true });
const strict = (doc: unknown): JobValidation => validateJob(doc, TEST_RULES);

const WEAVE = 'network driver "weaveworks/net-plugin:latest_release" is not available here';

test('the original repository sample jobs: refused strictly, accepted leniently with one warning per change', () => {
  const expected: { fields: string[]; strictCodes: string[] }[] = [
    { fields: ['/session', '/job_info/network/driver'], strictCodes: ['FIELD_UNKNOWN', 'NETWORK_INVALID'] },
    { fields: ['/job_info/network/driver'], strictCodes: ['NETWORK_INVALID'] },
    { fields: ['/job_info/network/driver', '/job_info/network/subnet'], strictCodes: ['NETWORK_INVALID'] },
    {
      fields: [
        '/job_info/network/driver',
        '/job_info/network/subnet',
        '/job_info/tasks/job3_task4/container_name',
      ],
      strictCodes: ['NETWORK_INVALID'],
    },
  ];
  originalSampleJobs().forEach((doc, i) => {
    const want = expected[i] as (typeof expected)[number];
    const s = strict(doc);
    assert.equal(s.ok, false, `sample ${i + 1} is refused on the native route`);
    if (!s.ok)
      assert.deepEqual([...new Set(s.issues.map((x) => x.code))].sort(), [...want.strictCodes].sort());
    const r = lenient(doc);
    assert.ok(r.ok, `sample ${i + 1}: ${JSON.stringify(r.ok ? '' : r.issues)}`);
    assert.deepEqual(
      r.warnings.map((w) => w.field),
      want.fields,
      `sample ${i + 1}`,
    );
    for (const w of r.warnings) assert.ok(w.message.length > 10);
    assert.match(
      r.warnings.find((w) => w.field === '/job_info/network/driver')?.message ?? '',
      new RegExp(WEAVE),
    );
    assert.equal(r.job.network.driver, 'auto', "the cluster's network driver");
    assert.equal(r.job.network.name, 'kangNetwork');
    assert.equal(r.job.format, 'original');
  });
  const [, , third, fourth] = originalSampleJobs().map((d) => lenient(d));
  assert.ok(third?.ok && fourth?.ok);
  assert.equal(third.job.network.subnet, '10.10.26.0/24');
  assert.deepEqual(
    fourth.job.tasks.map((t) => t.name),
    ['job4_task1', 'job4_task2'],
    'the task is named after its container_name',
  );
});

test('documents that need no leniency get no warnings and the same job on both routes', () => {
  const stress = originalClientSequence()
    .filter((r) => r.body !== undefined)
    .map((r) => JSON.parse(r.body as string));
  for (const doc of [sampleJob(), ...stress]) {
    const r = lenient(doc);
    const s = strict(doc);
    assert.ok(r.ok && s.ok);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.job, s.job);
  }
});

test('leniency stops at unknown fields and drivers: wrong types and bad values are still refused', () => {
  const cases: [string, (d: Record<string, any>) => void, string][] = [
    ['req_cores as a string', (d) => (d.job_info.tasks.job2_task1.req_cores = '1'), 'CORES_INVALID'],
    ['zero cores', (d) => (d.job_info.tasks.job2_task1.req_cores = 0), 'CORES_INVALID'],
    [
      'a memory size without unit sense',
      (d) => (d.job_info.tasks.job2_task1.mem_limit = 'lots'),
      'MEMORY_INVALID',
    ],
    ['a driver that is not a string', (d) => (d.job_info.network.driver = 7), 'FIELD_TYPE'],
    ['a subnet that is not a network', (d) => (d.job_info.network.subnet = '10.0.0.0/99'), 'NETWORK_INVALID'],
    ['no job name', (d) => delete d.job_name, 'FIELD_REQUIRED'],
    ['a status other than Ready', (d) => (d.status = 'Deployed'), 'STATUS_INVALID'],
  ];
  for (const [what, change, code] of cases) {
    const doc = originalSampleJobs()[1] as Record<string, any>;
    change(doc);
    const r = lenient(doc);
    assert.equal(r.ok, false, what);
    if (!r.ok)
      assert.ok(
        r.issues.some((i) => i.code === code),
        `${what}: ${JSON.stringify(r.issues)}`,
      );
  }
});

test('a task key taken by another task stays a mismatch error', () => {
  const doc = originalSampleJobs()[3] as Record<string, any>;
  doc.job_info.tasks.job3_task4.container_name = 'job4_task1';
  const r = lenient(doc);
  assert.equal(r.ok, false);
  if (!r.ok) assert.ok(r.issues.some((i) => i.code === 'TASK_KEY_MISMATCH'));
});

test('property: any unknown field, anywhere, is one warning naming it and changes nothing else', () => {
  const known = new Set(['job_name', 'job_info', 'status', 'start_time', 'end_time', 'submit_time']);
  const taskKnown = new Set([
    ...['container_name', 'node', 'image', 'detach', 'command', 'req_cores', 'cpuset_cpus', 'mem_limit'],
    ...['ports', 'volumes', 'environment', 'status', 'deadline', 'network'],
  ]);
  // Keys MongoDB could misread ($…, dotted) are refused wherever they are, ignored fields too.
  const key = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((k) => !/^\$|[.\0]/.test(k) && !['__proto__', 'constructor', 'prototype'].includes(k));
  const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()));
  fc.assert(
    fc.property(key, value, fc.constantFrom('job', 'task', 'network', 'job_info'), (k, v, where) => {
      const doc = sampleJob();
      const task = doc.job_info.tasks['job1533585500968-1533585495_task1'];
      const target = { job: doc, task, network: doc.job_info.network, job_info: doc.job_info }[where];
      const knownHere =
        where === 'job'
          ? known
          : where === 'task'
            ? taskKnown
            : where === 'network'
              ? new Set(['name', 'driver', 'subnet'])
              : new Set(['network', 'tasks']);
      fc.pre(!knownHere.has(k));
      target[k] = v;
      const base = {
        job: '',
        task: '/job_info/tasks/job1533585500968-1533585495_task1',
        network: '/job_info/network',
        job_info: '/job_info',
      }[where];
      const r = lenient(doc);
      const clean = strict(sampleJob());
      assert.ok(r.ok && clean.ok);
      assert.deepEqual(
        r.warnings.map((w) => w.field),
        [base + jsonPointer(k)],
      );
      assert.deepEqual(r.job, clean.job);
    }),
  );
});
