/**
 * @module `rswarm export original` into a real MongoDB (issue 14, item 6): `--collection-per-job`
 * lays the documents out as the original did (one collection per job, named after it, holding
 * its one document), which GraphBook.ipynb scans as it is; `--collection` puts them in one; a
 * second export replaces rather than adds. Needs MONGO_URL (scripts/test-services.sh).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { SERVICES } from '../support/services.js';
import { exportOriginal } from '../../cli/export-original.js';

const SESSION = '1574631900';
const jobName = (i: number): string => `job${1574631900180 + i}-${SESSION}`;

function originalJob(name: string): Record<string, unknown> {
  return {
    job_name: name,
    job_info: {
      network: { name: `RESTfulSwarmNetwork_${name}`, driver: 'overlay', subnet: '129.59.0.0/16' },
      tasks: {
        [`${name}_task1`]: {
          container_name: `${name}_task1`,
          node: '',
          image: 'busybox',
          detach: true,
          command: 'sleep 0.1',
          req_cores: 1,
          cpuset_cpus: '',
          mem_limit: '50m',
          ports: null,
          volumes: {},
          environment: {},
          status: 'Ready',
        },
      },
    },
    status: 'Ready',
    start_time: 0,
    end_time: 0,
  };
}

describe('export original into MongoDB', () => {
  let c: Cluster;
  let mongo: MongoClient;
  const db = `rswarm_export_${randomUUID().slice(0, 8)}`;
  before(async () => {
    mongo = new MongoClient(SERVICES.mongoUrl);
    c = await startCluster({ workers: [{ workerId: 'w1', coreIds: [0, 1] }] });
    for (const i of [0, 1, 2])
      assert.equal(
        (await c.api('POST', '/RESTfulSwarm/FE/request_new_job', originalJob(jobName(i)))).status,
        200,
      );
    await waitFor('three finished jobs', async () => {
      const items = (await c.api('GET', '/api/v1/jobs?status=finished')).body.items as unknown[];
      return items.length === 3 ? true : undefined;
    });
  });
  after(async () => {
    await mongo
      .db(db)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    await c.close();
  });

  test('--collection-per-job: one collection per job holding its one document, as the notebook scans them', async () => {
    const options = { url: c.url, token: c.token, mongoUrl: SERVICES.mongoUrl, db, collectionPerJob: true };
    assert.equal((await exportOriginal(options)).jobs, 3);
    const again = await exportOriginal(options); // a second export replaces
    const all = (await mongo.db(db).listCollections().toArray()).map((x) => x.name).sort();
    const names = all.filter((n) => n !== 'WorkersResourceInfo');
    assert.deepEqual(names, [0, 1, 2].map(jobName).sort());
    // The worker's utilisation over the jobs' span, one document per worker after re-exports
    // (none when no sample fell inside the span: the jobs run 0.1 s, samples come every 0.3 s).
    const usage = await mongo.db(db).collection('WorkersResourceInfo').find({}).toArray();
    assert.equal(usage.length, again.workers);
    for (const u of usage) {
      assert.equal(u['hostname'], 'w1');
      assert.equal(typeof u['init_time'], 'number');
      assert.ok(Array.isArray(u['details']) && (u['details'] as unknown[]).length > 0);
    }
    // GraphBook.ipynb: for col in cols with 'job' in it: list(col.find({}))[0], then get_time.
    for (const name of names.filter((n) => n.includes('job'))) {
      const found = await mongo.db(db).collection(name).find({}).toArray();
      assert.equal(found.length, 1, `${name} holds one document`);
      const info = found[0] as unknown as Record<string, number | string>;
      assert.equal(info['job_name'], name);
      assert.equal(info['job_name'].split('-')[1], SESSION);
      for (const f of ['submit_time', 'start_time', 'end_time']) assert.equal(typeof info[f], 'number', f);
      const execution = (info['end_time'] as number) - (info['start_time'] as number);
      assert.ok(execution >= 0.1, `ran 0.1 s: ${execution}`);
      assert.equal(info['status'], 'Down');
    }
  });

  test('--collection: every document in one collection, one per job after re-exports', async () => {
    const options = { url: c.url, token: c.token, mongoUrl: SERVICES.mongoUrl, db, collection: 'results' };
    await exportOriginal(options);
    await exportOriginal(options);
    const found = await mongo.db(db).collection('results').find({}).toArray();
    assert.deepEqual(found.map((d) => d['job_name']).sort(), [0, 1, 2].map(jobName).sort());
  });
});
