/**
 * @module Image references against Docker's reference grammar (distribution/reference): what is
 * accepted and refused, the registry each names, the allow-list, and the 400 a submission gets,
 * naming the field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageReferenceProblem, parseImageReference } from '../../core/job/image-reference.js';
import { validateJob, type JobRules } from '../../core/job/validate-job.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const RULES: JobRules = {
  volumeAllowList: ['/tmp/rswarm'],
  minMemoryBytes: 6 * 1024 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxTasksPerJob: 100,
};

describe('image references', () => {
  it('table: valid references and the registry, path, tag and digest they name', () => {
    const cases: [string, string, string, string | undefined, string | undefined][] = [
      ['busybox', 'docker.io', 'busybox', undefined, undefined],
      ['busybox:latest', 'docker.io', 'busybox', 'latest', undefined],
      ['rswarm/busybox:latest', 'docker.io', 'rswarm/busybox', 'latest', undefined],
      ['library/ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04', undefined],
      ['registry:5000/ns/img:tag', 'registry:5000', 'ns/img', 'tag', undefined],
      [`registry:5000/ns/img:tag@${DIGEST}`, 'registry:5000', 'ns/img', 'tag', DIGEST],
      [`busybox@${DIGEST}`, 'docker.io', 'busybox', undefined, DIGEST],
      ['localhost/app', 'localhost', 'app', undefined, undefined],
      ['localhost:5000/app:v1', 'localhost:5000', 'app', 'v1', undefined],
      ['ghcr.io/org/sub/app:1.2.3-rc_1', 'ghcr.io', 'org/sub/app', '1.2.3-rc_1', undefined],
      ['[::1]:5000/app', '[::1]:5000', 'app', undefined, undefined],
      ['my-registry.example.com/a__b/c.d-e', 'my-registry.example.com', 'a__b/c.d-e', undefined, undefined],
      ['Registry.Local/app', 'Registry.Local', 'app', undefined, undefined],
      ['a---b', 'docker.io', 'a---b', undefined, undefined],
      [`x:${'t'.repeat(128)}`, 'docker.io', 'x', 't'.repeat(128), undefined],
    ];
    for (const [text, registry, path, tag, digest] of cases) {
      const p = parseImageReference(text);
      assert.ok(p.ok, `${text}: ${p.ok ? '' : p.reason}`);
      assert.deepEqual(p.ref, { registry, path, tag, digest }, text);
    }
  });

  it('table: invalid references are refused with a reason', () => {
    const cases: [string, RegExp][] = [
      ['busybox;reboot', /"busybox;reboot" is not a repository name component/],
      ['', /must not be empty/],
      ['Busybox', /not a repository name component/],
      ['busybox:', /is not a tag/],
      ['busybox:-bad', /is not a tag/],
      [`busybox:${'t'.repeat(129)}`, /is not a tag/],
      ['busybox@sha256:abc', /is not a digest/],
      [`busybox@sha256:${'g'.repeat(64)}`, /is not a digest/],
      [`busybox@sha256:${'a'.repeat(63)}`, /is not a digest/],
      ['busybox@', /is not a digest/],
      ['-busybox', /not a repository name component/],
      ['busybox-', /not a repository name component/],
      ['a//b', /not a repository name component/],
      ['a/b/', /not a repository name component/],
      ['busybox $(reboot)', /not a repository name component/],
      ['busybox\nreboot', /not a repository name component/],
      ['bad_host:5000x/app', /not a registry/],
      ['-host.io/app', /not a registry/],
      ['host.io:/app', /not a registry/],
      ['a..b', /not a repository name component/],
      ['a._b', /not a repository name component/],
      ['a___b', /not a repository name component/],
      [`${'a'.repeat(256)}`, /longer than 255/],
    ];
    for (const [text, reason] of cases) {
      const p = parseImageReference(text);
      assert.equal(p.ok, false, JSON.stringify(text));
      if (!p.ok) assert.match(p.reason, reason, JSON.stringify(text));
    }
  });

  it('the registry allow-list: empty allows any, otherwise only the listed registries', () => {
    assert.equal(imageReferenceProblem('registry:5000/ns/img', []), undefined);
    assert.equal(imageReferenceProblem('registry:5000/ns/img', ['registry:5000']), undefined);
    assert.equal(imageReferenceProblem('busybox', ['docker.io']), undefined);
    assert.match(
      imageReferenceProblem('busybox', ['registry:5000']) ?? '',
      /registry "docker.io" are not allowed \(allowed: registry:5000\)/,
    );
    assert.match(imageReferenceProblem('evil.io/x', ['docker.io', 'registry:5000']) ?? '', /"evil.io"/);
  });

  it('a submission with a bad image is refused, naming the field, in both formats', () => {
    const native = validateJob(
      { name: 'j1', tasks: [{ name: 't1', image: 'busybox;reboot', cores: 1, memory: '16m' }] },
      RULES,
    );
    assert.equal(native.ok, false);
    assert.deepEqual(native.ok ? [] : native.issues.map((i) => [i.code, i.pointer]), [
      ['FIELD_FORMAT', '/tasks/0/image'],
    ]);
    const original = validateJob(
      {
        job_name: 'j2',
        job_info: {
          tasks: { c1: { container_name: 'c1', image: 'busybox;reboot', req_cores: 1, mem_limit: '16m' } },
        },
      },
      RULES,
    );
    assert.equal(original.ok, false);
    assert.deepEqual(original.ok ? [] : original.issues.map((i) => i.pointer), ['/job_info/tasks/c1/image']);
    const good = validateJob(
      {
        name: 'j3',
        tasks: [{ name: 't1', image: `registry:5000/ns/img:tag@${DIGEST}`, cores: 1, memory: '16m' }],
      },
      RULES,
    );
    assert.ok(good.ok, JSON.stringify(good));
  });

  it('a submission from a registry outside the allow-list is refused, naming the field', () => {
    const v = validateJob(
      { name: 'j1', tasks: [{ name: 't1', image: 'evil.io/miner:1', cores: 1, memory: '16m' }] },
      { ...RULES, imageRegistryAllowList: ['registry:5000'] },
    );
    assert.equal(v.ok, false);
    if (!v.ok) {
      assert.equal(v.issues[0]?.pointer, '/tasks/0/image');
      assert.match(v.issues[0]?.message ?? '', /registry "evil.io" are not allowed/);
    }
  });
});
