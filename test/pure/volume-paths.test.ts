/**
 * @module The worker's volume checks (worker/docker/volume-paths.ts): path-prefix containment,
 * host paths refused as written, resolved paths against the allow-list (tables), and
 * resolveVolumes on a fake file system and on a real temporary directory with a planted link.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskStartError } from '../../worker/docker/docker-errors.js';
import {
  hostPathProblem,
  isWithin,
  realPathProblem,
  resolveVolumes,
  type VolumeFs,
} from '../../worker/docker/volume-paths.js';

describe('isWithin', () => {
  const cases: [path: string, prefix: string, expected: boolean][] = [
    ['/tmp/rswarm', '/tmp/rswarm', true],
    ['/tmp/rswarm/a/b', '/tmp/rswarm', true],
    ['/tmp/rswarm/a', '/tmp/rswarm/', true],
    ['/tmp/rswarm-evil', '/tmp/rswarm', false],
    ['/tmp', '/tmp/rswarm', false],
    ['/', '/tmp/rswarm', false],
    ['/anything', '/', true],
  ];
  for (const [path, prefix, expected] of cases) {
    test(`${path} within ${prefix}: ${expected}`, () => assert.equal(isWithin(path, prefix), expected));
  }
});

describe('hostPathProblem', () => {
  const cases: [path: string, problem: RegExp | undefined][] = [
    ['/tmp/rswarm/data', undefined],
    ['/tmp/rswarm/v1.2', undefined],
    ['/tmp/rswarm/a..b', undefined],
    ['/tmp/rswarm/.hidden', undefined],
    ['/tmp/rswarm/../etc', /"\.\." segment/],
    ['/tmp/rswarm/..', /"\.\." segment/],
    ['tmp/rswarm', /absolute/],
    ['', /absolute/],
  ];
  for (const [path, problem] of cases) {
    test(`${JSON.stringify(path)}: ${problem ? 'refused' : 'accepted'}`, () => {
      const got = hostPathProblem(path);
      if (problem) assert.match(got ?? '', problem);
      else assert.equal(got, undefined);
    });
  }
});

describe('realPathProblem', () => {
  const cases: [requested: string, real: string, allowed: string[], problem: RegExp | undefined][] = [
    ['/tmp/rswarm/a', '/tmp/rswarm/a', ['/tmp/rswarm'], undefined],
    ['/tmp/rswarm', '/tmp/rswarm', ['/tmp/rswarm'], undefined],
    ['/tmp/rswarm/a', '/tmp/rswarm/a', [], /allows no host volumes/],
    ['/tmp/rswarm/x', '/', ['/tmp/rswarm'], /resolves to \/, which is outside .*\/tmp\/rswarm/],
    ['/tmp/rswarm/x', '/etc/ssh', ['/tmp/rswarm'], /resolves to \/etc\/ssh/],
    [
      '/etc',
      '/etc',
      ['/tmp/rswarm', '/nfs'],
      /^it is outside this worker's allowed paths \(\/tmp\/rswarm, \/nfs\)/,
    ],
    ['/tmp/rswarm-evil', '/tmp/rswarm-evil', ['/tmp/rswarm'], /outside/],
    // /tmp is a link to /private/tmp (macOS-style): the allow-list is compared resolved.
    ['/tmp/rswarm/a', '/private/tmp/rswarm/a', ['/private/tmp/rswarm'], undefined],
  ];
  for (const [requested, real, allowed, problem] of cases) {
    test(`${requested} → ${real} with [${allowed.join(', ')}]: ${problem ? 'refused' : 'accepted'}`, () => {
      const got = realPathProblem(requested, real, allowed);
      if (problem) assert.match(got ?? '', problem);
      else assert.equal(got, undefined);
    });
  }
});

/** A file system of directories and links; realpath follows links one component at a time. */
function fakeFs(dirs: string[], links: Record<string, string>): VolumeFs & { made: string[] } {
  const existing = new Set(dirs);
  const made: string[] = [];
  const resolve = (path: string, hops = 0): string => {
    if (hops > 40) throw Object.assign(new Error('ELOOP'), { code: 'ELOOP' });
    let out = '';
    for (const part of path.split('/').filter(Boolean)) {
      const next = `${out}/${part}`;
      const target = links[next];
      if (target !== undefined) out = resolve(target, hops + 1) === '/' ? '' : resolve(target, hops + 1);
      else if (existing.has(next)) out = next;
      else throw Object.assign(new Error(`ENOENT: ${next}`), { code: 'ENOENT' });
    }
    return out === '' ? '/' : out;
  };
  return {
    made,
    realpath: (p) => Promise.resolve().then(() => resolve(p)),
    mkdir: (p) => {
      made.push(p);
      for (let d = p; d !== '/' && d !== ''; d = d.slice(0, d.lastIndexOf('/'))) existing.add(d);
      return Promise.resolve(undefined);
    },
  };
}

describe('resolveVolumes on a fake file system', () => {
  const dirs = ['/mnt', '/tmp', '/tmp/rswarm', '/tmp/rswarm/data', '/etc', '/srv', '/srv/shared'];
  const links = {
    '/tmp/rswarm/x': '/',
    '/tmp/rswarm/etc': '/etc',
    '/tmp/rswarm/ok': '/tmp/rswarm/data',
    '/mnt/s': '/srv/shared',
  };
  const cases: {
    name: string;
    hostPath: string;
    allow: string[];
    bound?: string;
    refused?: RegExp;
  }[] = [
    {
      name: 'a plain allowed directory',
      hostPath: '/tmp/rswarm/data',
      allow: ['/tmp/rswarm'],
      bound: '/tmp/rswarm/data',
    },
    {
      name: 'a link to / under an allowed directory',
      hostPath: '/tmp/rswarm/x',
      allow: ['/tmp/rswarm'],
      refused: /resolves to \/,/,
    },
    {
      name: 'a path through a link to /',
      hostPath: '/tmp/rswarm/x/etc',
      allow: ['/tmp/rswarm'],
      refused: /resolves to \/etc/,
    },
    { name: 'a link to /etc', hostPath: '/tmp/rswarm/etc', allow: ['/tmp/rswarm'], refused: /outside/ },
    {
      name: 'a link that stays inside',
      hostPath: '/tmp/rswarm/ok',
      allow: ['/tmp/rswarm'],
      bound: '/tmp/rswarm/data',
    },
    {
      name: 'outside the allow-list',
      hostPath: '/etc',
      allow: ['/tmp/rswarm'],
      refused: /^volume \/etc:\/data refused: it is outside/,
    },
    {
      name: 'an empty allow-list',
      hostPath: '/tmp/rswarm/data',
      allow: [],
      refused: /allows no host volumes/,
    },
    {
      name: 'an allow-list entry that is a link',
      hostPath: '/srv/shared',
      allow: ['/mnt/s'],
      bound: '/srv/shared',
    },
    {
      name: 'an allow-list entry that does not exist',
      hostPath: '/tmp/rswarm/data',
      allow: ['/nope'],
      refused: /outside this worker's allowed paths \(\/nope\)/,
    },
    {
      name: 'a missing path under an allowed directory (created)',
      hostPath: '/tmp/rswarm/new/sub',
      allow: ['/tmp/rswarm'],
      bound: '/tmp/rswarm/new/sub',
    },
    {
      name: 'a missing path behind a link to / (not created)',
      hostPath: '/tmp/rswarm/x/newdir',
      allow: ['/tmp/rswarm'],
      refused: /resolves to \/newdir/,
    },
    {
      name: 'a .. segment',
      hostPath: '/tmp/rswarm/../etc',
      allow: ['/tmp/rswarm'],
      refused: /"\.\." segment/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const fs = fakeFs(dirs, links);
      const run = resolveVolumes(
        [{ hostPath: c.hostPath, containerPath: '/data', readOnly: false }],
        c.allow,
        fs,
      );
      if (c.refused) {
        await assert.rejects(run, (err: unknown) => {
          assert.ok(err instanceof TaskStartError);
          assert.match(err.message, c.refused as RegExp);
          assert.ok(err.message.startsWith(`volume ${c.hostPath}:/data refused: `), err.message);
          return true;
        });
        assert.deepEqual(fs.made, [], 'nothing created for a refused volume');
      } else {
        assert.deepEqual(await run, [{ hostPath: c.bound, containerPath: '/data', readOnly: false }]);
      }
    });
  }
});

test('resolveVolumes on a real directory: the planted link to / is refused, the real path is bound', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'rswarm-volumes-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'data'));
  await symlink('/', join(root, 'x'));
  await symlink(join(root, 'data'), join(root, 'alias'));
  const volume = (hostPath: string) => ({ hostPath, containerPath: '/data', readOnly: true });
  await assert.rejects(resolveVolumes([volume(join(root, 'x'))], [root]), /resolves to \/, which is outside/);
  await assert.rejects(resolveVolumes([volume(join(root, 'x', 'etc'))], [root]), /resolves to \/etc/);
  assert.deepEqual(await resolveVolumes([volume(join(root, 'alias'))], [root]), [volume(join(root, 'data'))]);
  const fresh = join(root, 'fresh', 'dir');
  assert.deepEqual(await resolveVolumes([volume(fresh)], [root]), [volume(fresh)]);
  assert.ok((await stat(fresh)).isDirectory(), 'a missing directory inside the allow-list is created');
});
