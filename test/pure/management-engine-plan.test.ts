/**
 * @module Bring-up planner: dependency order (stable, cycles and unknown steps refused, and a
 * property over random DAGs), the component order and health checks, what workers are told,
 * embedded mode, and the child environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { childEnvironment, orderByDependencies, planBringUp } from '../../management-engine/bring-up-plan.js';
import { parseClusterSpec } from '../../management-engine/cluster-file.js';

const INPUTS = {
  token: 'api-token-0123456789',
  joinToken: 'join-token-0123456789',
  rswarmCommand: ['/usr/bin/node', '--import', 'tsx', '/repo/cli/main.ts'],
  cwd: '/repo',
  defaultKnownHosts: '/root/.ssh/known_hosts',
};

function spec(extra: Record<string, any> = {}, backends?: Record<string, any>) {
  return parseClusterSpec(
    {
      name: 'lab',
      logDir: '/var/rswarm',
      controlPlane: {
        bindHost: '0.0.0.0',
        advertiseHost: '10.0.0.1',
        backends: backends ?? { mode: 'external', mongoUrl: 'mongodb://db/x', redisUrl: 'redis://r:6379' },
      },
      workers: [
        {
          host: 'w1',
          user: 'ops',
          identityFile: '/k',
          cwd: '/opt/rs',
          workerId: 'w1',
          cpuset: '0-3',
          memory: '8g',
          env: { DOCKER_HOST: 'unix:///d.sock' },
        },
      ],
      ...extra,
    },
    '/var/cluster.yaml',
    '/var',
  );
}

test('orderByDependencies: each step after its dependencies, input order kept among ready ones', () => {
  const order = orderByDependencies([
    { name: 'fe', dependsOn: ['jm'] },
    { name: 'jm', dependsOn: ['gm', 'dc'] },
    { name: 'dc', dependsOn: ['gm'] },
    { name: 'gm', dependsOn: [] },
    { name: 'extra', dependsOn: [] },
  ]).map((s) => s.name);
  assert.deepEqual(order, ['gm', 'dc', 'jm', 'fe', 'extra']);
});

test('orderByDependencies refuses cycles and unknown steps, naming them', () => {
  assert.throws(
    () =>
      orderByDependencies([
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['a'] },
        { name: 'c', dependsOn: [] },
      ]),
    /dependency cycle among 2 step\(s\): a → b, b → a/,
  );
  assert.throws(
    () => orderByDependencies([{ name: 'a', dependsOn: ['zz'] }]),
    /step "a" depends on "zz", which is not in the plan/,
  );
});

test('property: on a random DAG every step comes after all its dependencies, each exactly once', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 12 })
        .chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 30 }),
            fc.shuffledSubarray([...Array(n).keys()], { minLength: n }),
          ),
        ),
      ([n, edges, perm]) => {
        // Edge (i, j) with i > j means "i depends on j": acyclic by construction.
        const deps = Array.from({ length: n }, () => new Set<string>());
        for (const [a, b] of edges) if (a !== b) deps[Math.max(a, b)]!.add(`s${Math.min(a, b)}`);
        const steps = perm.map((i) => ({ name: `s${i}`, dependsOn: [...deps[i]!] }));
        const order = orderByDependencies(steps).map((s) => s.name);
        assert.equal(new Set(order).size, n);
        for (const s of steps)
          for (const d of s.dependsOn)
            assert.ok(order.indexOf(d) < order.indexOf(s.name), `${d} before ${s.name}`);
      },
    ),
  );
});

test('external backends: GlobalManager, Discovery, JobManager, FrontEnd, each with its health check', () => {
  const plan = planBringUp(spec(), INPUTS);
  assert.deepEqual(
    plan.components.map((c) => [
      c.name,
      c.checks.map((k) => (k.kind === 'tcp' ? `tcp ${k.host}:${k.port}` : `http ${k.url}`)),
    ]),
    [
      ['global-manager', ['tcp 127.0.0.1:3100']],
      ['discovery', ['tcp 127.0.0.1:4000']],
      ['job-manager', ['tcp 127.0.0.1:2990']],
      ['frontend', ['http http://127.0.0.1:5001']],
    ],
  );
  const gm = plan.components[0]!.start;
  assert.deepEqual(gm.argv, [
    ...INPUTS.rswarmCommand,
    '-c',
    '/var/rswarm/control-plane.yaml',
    'global-manager',
  ]);
  assert.equal(gm.logFile, '/var/rswarm/lab-global-manager.log');
  assert.deepEqual(gm.env, {}, 'secrets stay in the 0600 config file, not in the environment');
  assert.deepEqual(plan.config.backends, {
    store: 'mongo',
    queue: 'redis',
    mongoUrl: 'mongodb://db/x',
    redisUrl: 'redis://r:6379',
    queueName: 'rswarm-jobs',
  });
  assert.equal(plan.config.cluster?.managerEndpoint, 'tcp://0.0.0.0:3100');
  assert.equal(plan.config.http?.token, INPUTS.token);
  assert.equal(plan.apiUrl, 'http://127.0.0.1:5001');
});

test('workers: advertised control-plane address, join token, id, size, extra env; SSH target', () => {
  const [w] = planBringUp(spec(), INPUTS).workers;
  assert.deepEqual(w!.start.env, {
    DOCKER_HOST: 'unix:///d.sock',
    RSWARM_JOIN_TOKEN: INPUTS.joinToken,
    RSWARM_MANAGER_ENDPOINT: 'tcp://10.0.0.1:3100',
    RSWARM_ENROL_ENDPOINT: 'tcp://10.0.0.1:3101',
    RSWARM_DISCOVERY_ENDPOINT: 'tcp://10.0.0.1:4000',
    RSWARM_WORKER_ID: 'w1',
    RSWARM_WORKER_RUNTIME: 'docker',
    RSWARM_LOG_LEVEL: 'info',
    RSWARM_WORKER_CPUSET: '0-3',
    RSWARM_WORKER_MEMORY: '8g',
  });
  assert.equal(w!.start.cwd, '/opt/rs');
  assert.equal(w!.start.logFile, '/tmp/rswarm-cluster/lab-worker-w1.log');
  assert.deepEqual(w!.target, {
    host: 'w1',
    port: 22,
    user: 'ops',
    identityFile: '/k',
    knownHosts: '/root/.ssh/known_hosts',
    strictHostKeyChecking: true,
  });
});

test('embedded backends: one all-in-one process without local workers, checked on every endpoint', () => {
  const plan = planBringUp(spec({}, { mode: 'embedded' }), INPUTS);
  assert.deepEqual(
    plan.components.map((c) => c.start.argv.at(-1)),
    ['all-in-one'],
  );
  assert.equal(plan.components[0]!.checks.length, 4);
  assert.deepEqual(plan.config.allInOne, { workers: 0 });
  assert.deepEqual(plan.config.backends, { store: 'memory', queue: 'memory' });
});

test('childEnvironment drops every variable that would override the generated config', () => {
  const env = childEnvironment({
    PATH: '/bin',
    MONGO_URL: 'x',
    RSWARM_TOKEN: 't',
    RSWARM_CONFIG: 'c',
    REDIS_URL: 'r',
    HOME: '/root',
  });
  assert.deepEqual(env, { PATH: '/bin', HOME: '/root' });
});
