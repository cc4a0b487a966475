/**
 * @module Table of malformed job documents: each yields the expected code at the expected pointer.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateJob } from '../../core/job/index.js';
import { sampleJob, T1, T2, TEST_RULES } from '../support/sample-job.js';

type Doc = Record<string, any>;
const task1 = (d: Doc): Doc => d['job_info'].tasks[T1];
const task2 = (d: Doc): Doc => d['job_info'].tasks[T2];
const p1 = `/job_info/tasks/${T1}`;
const p2 = `/job_info/tasks/${T2}`;

function nativeJob(): Doc {
  return {
    name: 'native-job',
    tasks: [
      { name: 'a', image: 'busybox', cores: 1, memory: '32m', command: 'sleep 1' },
      { name: 'b', image: 'busybox', cores: 2, memory: '64m' },
    ],
  };
}

interface Case {
  readonly name: string;
  readonly make: () => unknown;
  readonly code: string;
  readonly pointer: string;
  readonly bodyBytes?: number;
}

const CASES: Case[] = [
  {
    name: 'zero tasks',
    make: () => {
      const d = sampleJob();
      d['job_info'].tasks = {};
      return d;
    },
    code: 'JOB_NO_TASKS',
    pointer: '/job_info/tasks',
  },
  {
    name: 'fractional req_cores',
    make: () => {
      const d = sampleJob();
      task1(d)['req_cores'] = 1.5;
      return d;
    },
    code: 'CORES_INVALID',
    pointer: `${p1}/req_cores`,
  },
  {
    name: 'zero req_cores',
    make: () => {
      const d = sampleJob();
      task1(d)['req_cores'] = 0;
      return d;
    },
    code: 'CORES_INVALID',
    pointer: `${p1}/req_cores`,
  },
  {
    name: 'negative req_cores',
    make: () => {
      const d = sampleJob();
      task2(d)['req_cores'] = -2;
      return d;
    },
    code: 'CORES_INVALID',
    pointer: `${p2}/req_cores`,
  },
  {
    name: 'string req_cores',
    make: () => {
      const d = sampleJob();
      task1(d)['req_cores'] = '2';
      return d;
    },
    code: 'CORES_INVALID',
    pointer: `${p1}/req_cores`,
  },
  {
    name: 'unknown memory unit',
    make: () => {
      const d = sampleJob();
      task1(d)['mem_limit'] = '50x';
      return d;
    },
    code: 'MEMORY_INVALID',
    pointer: `${p1}/mem_limit`,
  },
  {
    name: 'memory unit tb',
    make: () => {
      const d = sampleJob();
      task2(d)['mem_limit'] = '1t';
      return d;
    },
    code: 'MEMORY_INVALID',
    pointer: `${p2}/mem_limit`,
  },
  {
    name: 'memory below Docker minimum',
    make: () => {
      const d = sampleJob();
      task1(d)['mem_limit'] = '1k';
      return d;
    },
    code: 'MEMORY_INVALID',
    pointer: `${p1}/mem_limit`,
  },
  {
    name: 'memory as number',
    make: () => {
      const d = sampleJob();
      task1(d)['mem_limit'] = 50;
      return d;
    },
    code: 'MEMORY_INVALID',
    pointer: `${p1}/mem_limit`,
  },
  {
    name: 'task key differs from container_name (SampleJob4 bug)',
    make: () => {
      const d = sampleJob();
      task2(d)['container_name'] = 'job4_task2';
      return d;
    },
    code: 'TASK_KEY_MISMATCH',
    pointer: `${p2}/container_name`,
  },
  {
    name: 'job name with a space',
    make: () => {
      const d = sampleJob();
      d['job_name'] = 'my job';
      return d;
    },
    code: 'NAME_INVALID',
    pointer: '/job_name',
  },
  {
    name: 'job name too long for DNS',
    make: () => {
      const d = sampleJob();
      d['job_name'] = 'j'.repeat(64);
      return d;
    },
    code: 'NAME_INVALID',
    pointer: '/job_name',
  },
  {
    name: 'network name with a slash',
    make: () => {
      const d = sampleJob();
      d['job_info'].network.name = 'net/1';
      return d;
    },
    code: 'NAME_INVALID',
    pointer: '/job_info/network/name',
  },
  {
    name: 'task names collide ignoring case',
    make: () => {
      const d = nativeJob();
      d['tasks'][1].name = 'A';
      return d;
    },
    code: 'NAME_COLLISION',
    pointer: '/tasks/1/name',
  },
  {
    name: 'duplicate host port across tasks',
    make: () => {
      const d = sampleJob();
      task1(d)['ports'] = { '80/tcp': 8080 };
      task2(d)['ports'] = { '81': 8080 };
      return d;
    },
    code: 'HOST_PORT_DUPLICATE',
    pointer: `${p2}/ports`,
  },
  {
    name: 'host port out of range',
    make: () => {
      const d = sampleJob();
      task1(d)['ports'] = { '80': 70000 };
      return d;
    },
    code: 'PORT_INVALID',
    pointer: `${p1}/ports/80`,
  },
  {
    name: 'container port not numeric',
    make: () => {
      const d = sampleJob();
      task1(d)['ports'] = { http: 8080 };
      return d;
    },
    code: 'PORT_INVALID',
    pointer: `${p1}/ports/http`,
  },
  {
    name: 'volume outside the allow-list',
    make: () => {
      const d = sampleJob();
      task1(d)['volumes'] = { '/etc': { bind: '/mnt', mode: 'rw' } };
      return d;
    },
    code: 'VOLUME_FORBIDDEN',
    pointer: `${p1}/volumes/~1etc`,
  },
  {
    name: 'volume escaping the allow-list with ..',
    make: () => {
      const d = sampleJob();
      task1(d)['volumes'] = { '/nfs/RESTfulSwarm/../../etc': { bind: '/mnt' } };
      return d;
    },
    code: 'VOLUME_INVALID',
    pointer: `${p1}/volumes/~1nfs~1RESTfulSwarm~1..~1..~1etc`,
  },
  {
    name: 'volume host path not normalised',
    make: () => {
      const d = sampleJob();
      task1(d)['volumes'] = { '/nfs//RESTfulSwarm/x': { bind: '/mnt' } };
      return d;
    },
    code: 'VOLUME_INVALID',
    pointer: `${p1}/volumes/~1nfs~1~1RESTfulSwarm~1x`,
  },
  {
    name: 'volume bind not absolute',
    make: () => {
      const d = sampleJob();
      task1(d)['volumes'] = { '/tmp/rswarm/x': { bind: 'mnt' } };
      return d;
    },
    code: 'VOLUME_INVALID',
    pointer: `${p1}/volumes/~1tmp~1rswarm~1x/bind`,
  },
  {
    name: 'volume sharing only a name prefix with the allow-list',
    make: () => {
      const d = sampleJob();
      task1(d)['volumes'] = { '/tmp/rswarm-evil': { bind: '/mnt' } };
      return d;
    },
    code: 'VOLUME_FORBIDDEN',
    pointer: `${p1}/volumes/~1tmp~1rswarm-evil`,
  },
  {
    name: '$-prefixed key at the top',
    make: () => {
      const d = sampleJob();
      d['$where'] = 'x';
      return d;
    },
    code: 'KEY_FORBIDDEN',
    pointer: '/$where',
  },
  {
    name: 'dotted key in environment',
    make: () => {
      const d = sampleJob();
      task1(d)['environment'] = { 'a.b': '1' };
      return d;
    },
    code: 'KEY_FORBIDDEN',
    pointer: `${p1}/environment/a.b`,
  },
  {
    name: '$-key nested in a volume spec',
    make: () => {
      const d = sampleJob();
      task1(d)['volumes'] = { '/tmp/rswarm/x': { $set: 1 } };
      return d;
    },
    code: 'KEY_FORBIDDEN',
    pointer: `${p1}/volumes/~1tmp~1rswarm~1x/$set`,
  },
  {
    name: 'body over the configured size',
    make: () => sampleJob(),
    bodyBytes: TEST_RULES.maxBodyBytes + 1,
    code: 'BODY_TOO_LARGE',
    pointer: '',
  },
  {
    name: 'missing job_info',
    make: () => {
      const d = sampleJob();
      delete d['job_info'];
      return d;
    },
    code: 'FIELD_REQUIRED',
    pointer: '/job_info',
  },
  {
    name: 'missing image',
    make: () => {
      const d = sampleJob();
      delete task2(d)['image'];
      return d;
    },
    code: 'FIELD_REQUIRED',
    pointer: `${p2}/image`,
  },
  {
    name: 'unknown task field',
    make: () => {
      const d = sampleJob();
      task1(d)['cpu_count'] = 2;
      return d;
    },
    code: 'FIELD_UNKNOWN',
    pointer: `${p1}/cpu_count`,
  },
  {
    name: 'malformed cpuset',
    make: () => {
      const d = sampleJob();
      task1(d)['node'] = 'w1';
      task1(d)['cpuset_cpus'] = '3-1';
      return d;
    },
    code: 'CPUSET_INVALID',
    pointer: `${p1}/cpuset_cpus`,
  },
  {
    name: 'cpuset size differs from req_cores',
    make: () => {
      const d = sampleJob();
      task1(d)['node'] = 'w1';
      task1(d)['cpuset_cpus'] = '0,1,2';
      return d;
    },
    code: 'CPUSET_INVALID',
    pointer: `${p1}/cpuset_cpus`,
  },
  {
    name: 'cpuset without node',
    make: () => {
      const d = sampleJob();
      task1(d)['cpuset_cpus'] = '0,1';
      return d;
    },
    code: 'PIN_INCOMPLETE',
    pointer: `${p1}/node`,
  },
  {
    name: 'command with shell syntax',
    make: () => {
      const d = sampleJob();
      task1(d)['command'] = 'sleep 5 | cat';
      return d;
    },
    code: 'COMMAND_INVALID',
    pointer: `${p1}/command`,
  },
  {
    name: 'environment list entry without =',
    make: () => {
      const d = sampleJob();
      task1(d)['environment'] = ['FOO'];
      return d;
    },
    code: 'ENV_INVALID',
    pointer: `${p1}/environment/0`,
  },
  {
    name: 'bad subnet',
    make: () => {
      const d = sampleJob();
      d['job_info'].network.subnet = '300.1.0.0/16';
      return d;
    },
    code: 'NETWORK_INVALID',
    pointer: '/job_info/network/subnet',
  },
  {
    name: 'unknown network driver',
    make: () => {
      const d = sampleJob();
      d['job_info'].network.driver = 'macvlan';
      return d;
    },
    code: 'NETWORK_INVALID',
    pointer: '/job_info/network/driver',
  },
  {
    name: 'job submitted as Down',
    make: () => {
      const d = sampleJob();
      d['status'] = 'Down';
      return d;
    },
    code: 'STATUS_INVALID',
    pointer: '/status',
  },
  { name: 'body is an array', make: () => [sampleJob()], code: 'FIELD_TYPE', pointer: '' },
  {
    name: 'native: zero tasks',
    make: () => {
      const d = nativeJob();
      d['tasks'] = [];
      return d;
    },
    code: 'JOB_NO_TASKS',
    pointer: '/tasks',
  },
  {
    name: 'native: too many tasks',
    make: () => {
      const d = nativeJob();
      d['tasks'] = Array.from({ length: 51 }, (_, i) => ({
        name: `t${i}`,
        image: 'busybox',
        cores: 1,
        memory: '8m',
      }));
      return d;
    },
    code: 'TOO_MANY_TASKS',
    pointer: '/tasks',
  },
  {
    name: 'native: cores missing',
    make: () => {
      const d = nativeJob();
      delete d['tasks'][0].cores;
      return d;
    },
    code: 'FIELD_REQUIRED',
    pointer: '/tasks/0/cores',
  },
  {
    name: 'native: restart policy mode unknown',
    make: () => {
      const d = nativeJob();
      d['restartPolicy'] = { mode: 'always' };
      return d;
    },
    code: 'FIELD_ENUM',
    pointer: '/restartPolicy/mode',
  },
];

describe('job validation: malformed documents', () => {
  test('the table has at least 25 cases', () => {
    assert.ok(CASES.length >= 25, `only ${CASES.length} cases`);
  });
  for (const c of CASES) {
    test(c.name, () => {
      const result = validateJob(
        c.make(),
        TEST_RULES,
        c.bodyBytes !== undefined ? { bodyBytes: c.bodyBytes } : {},
      );
      assert.equal(result.ok, false, 'expected the document to be rejected');
      if (result.ok) return;
      const hit = result.issues.find((i) => i.code === c.code && i.pointer === c.pointer);
      assert.ok(hit, `expected ${c.code} at "${c.pointer}", got ${JSON.stringify(result.issues)}`);
      assert.ok(hit.message.length > 10, 'every issue carries a sentence');
    });
  }
});

describe('job validation: accepted documents', () => {
  test('the original sample job validates and normalises', () => {
    const result = validateJob(sampleJob(), TEST_RULES);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const job = result.job;
    assert.equal(job.name, 'job1533585500968-1533585495');
    assert.equal(job.format, 'original');
    assert.deepEqual(
      job.tasks.map((t) => [t.name, t.cores, t.memoryBytes]),
      [
        [T1, 2, 50 * 1024 * 1024],
        [T2, 1, 20 * 1024 * 1024],
      ],
    );
    assert.deepEqual(job.tasks[0]?.command, ['sleep', '5']);
    assert.equal(job.network.driver, 'auto', "the original's overlay means overlay-if-swarm");
    assert.equal(job.restartPolicy.mode, 'on-failure');
    assert.equal(job.tasks[0]?.pin, undefined);
  });

  test('memory units in any case, with or without b', () => {
    for (const [text, bytes] of [
      ['50m', 52428800],
      ['50M', 52428800],
      ['50mb', 52428800],
      ['50MB', 52428800],
      ['1g', 1073741824],
      ['8192k', 8388608],
      ['7340032', 7340032],
      ['7340032b', 7340032],
    ] as const) {
      const d = sampleJob();
      task1(d)['mem_limit'] = text;
      const r = validateJob(d, TEST_RULES);
      assert.ok(r.ok, `${text}: ${JSON.stringify(!r.ok && r.issues)}`);
      assert.equal(r.job.tasks[0]?.memoryBytes, bytes, text);
    }
  });

  test('a pinned task keeps node and exact cores', () => {
    const d = sampleJob();
    task1(d)['node'] = 'worker-1';
    task1(d)['cpuset_cpus'] = '2-3';
    const r = validateJob(d, TEST_RULES);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    assert.deepEqual(r.job.tasks[0]?.pin, { workerId: 'worker-1', coreIds: [2, 3] });
  });

  test('native job gets explicit defaults', () => {
    const r = validateJob(nativeJob(), TEST_RULES);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    assert.equal(r.job.priority, 0);
    assert.equal(r.job.network.name, 'RESTfulSwarmNetwork_native-job');
    assert.equal(r.job.network.driver, 'auto');
    assert.deepEqual(r.job.restartPolicy, { mode: 'on-failure', maxAttempts: 3, requeueOnWorkerLoss: true });
  });

  test('every problem is reported, not only the first', () => {
    const d = sampleJob();
    task1(d)['mem_limit'] = '5q';
    task2(d)['container_name'] = 'other';
    const r = validateJob(d, TEST_RULES);
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.deepEqual(
        new Set(r.issues.map((i) => i.code)),
        new Set(['MEMORY_INVALID', 'TASK_KEY_MISMATCH']),
      );
  });
});
