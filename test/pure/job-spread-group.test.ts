/**
 * @module A native job's optional `spreadGroup`: kept when valid, defaulting to the job's name
 * (through `spreadGroupOf`), refused with an issue naming the field when it is not a name.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateJob } from '../../core/job/index.js';
import { spreadGroupOf } from '../../core/job/spread-group.js';
import { TEST_RULES } from '../support/sample-job.js';

const job = (extra: Record<string, unknown>): Record<string, unknown> => ({
  name: 'web1',
  tasks: [{ name: 't0', image: 'busybox', cores: 1, memory: '64m' }],
  ...extra,
});

describe('spreadGroup', () => {
  test('a valid group is kept and becomes the spread group', () => {
    const out = validateJob(job({ spreadGroup: 'web' }), TEST_RULES);
    assert.ok(out.ok);
    assert.equal(out.job.spreadGroup, 'web');
    assert.equal(spreadGroupOf(out.job), 'web');
  });

  test("without one, the job's name is the group", () => {
    const out = validateJob(job({}), TEST_RULES);
    assert.ok(out.ok);
    assert.equal(out.job.spreadGroup, undefined);
    assert.equal(spreadGroupOf(out.job), 'web1');
  });

  test('a group that is not a name is refused at /spreadGroup', () => {
    for (const bad of ['', '-web', 'a b', 7]) {
      const out = validateJob(job({ spreadGroup: bad }), TEST_RULES);
      assert.ok(!out.ok, JSON.stringify(bad));
      assert.deepEqual(
        out.issues.map((i) => i.pointer),
        ['/spreadGroup'],
        JSON.stringify(out.issues),
      );
    }
  });
});
