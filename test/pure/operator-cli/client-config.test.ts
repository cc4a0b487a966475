/**
 * @module The operator CLI's target resolution: URL and token each from flag > environment >
 * context of the client config file > defaults (what `rswarm all-in-one` leaves), and the
 * config file's errors naming the file and field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_TOKEN_FILE,
  DEFAULT_URL,
  parseClientConfig,
  redactToken,
  resolveTarget,
  withContext,
  type ClientConfigFile,
  type TargetInputs,
} from '../../../cli/operator/client-config.js';
import { CliError, EXIT } from '../../../cli/operator/exit-codes.js';

const file: ClientConfigFile = {
  'current-context': 'lab',
  contexts: [
    { name: 'lab', url: 'http://lab:5001', token: 'ctx-token' },
    { name: 'prod', url: 'https://prod.example/', tokenFile: '/secrets/prod' },
  ],
};

const files: Record<string, string> = { [DEFAULT_TOKEN_FILE]: 'aio-token', '/secrets/prod': 'prod-token' };

function inputs(over: Partial<TargetInputs> = {}): TargetInputs {
  return {
    flags: {},
    env: {},
    file,
    filePath: '/home/u/.rswarm/config.yaml',
    readTokenFile: (p) => files[p],
    ...over,
  };
}

describe('resolveTarget precedence', () => {
  const cases: {
    name: string;
    in: Partial<TargetInputs>;
    url: string;
    urlFrom: string;
    token?: string;
    tokenFrom: string;
  }[] = [
    {
      name: 'flags win over everything',
      in: {
        flags: { url: 'http://flag:1', token: 'flag-token' },
        env: { RSWARM_URL: 'http://env:2', RSWARM_TOKEN: 'env-token' },
      },
      url: 'http://flag:1',
      urlFrom: 'flag',
      token: 'flag-token',
      tokenFrom: 'flag',
    },
    {
      name: 'environment over the file',
      in: { env: { RSWARM_URL: 'http://env:2', RSWARM_TOKEN: 'env-token' } },
      url: 'http://env:2',
      urlFrom: 'env',
      token: 'env-token',
      tokenFrom: 'env',
    },
    {
      name: 'current context',
      in: {},
      url: 'http://lab:5001',
      urlFrom: 'context',
      token: 'ctx-token',
      tokenFrom: 'context',
    },
    {
      name: '--context picks another context, its tokenFile read, trailing slash dropped',
      in: { flags: { context: 'prod' } },
      url: 'https://prod.example',
      urlFrom: 'context',
      token: 'prod-token',
      tokenFrom: 'context',
    },
    {
      name: 'each value on its own: URL from env, token from the context',
      in: { env: { RSWARM_URL: 'http://env:2' } },
      url: 'http://env:2',
      urlFrom: 'env',
      token: 'ctx-token',
      tokenFrom: 'context',
    },
    {
      name: "no file: the all-in-one's defaults",
      in: { file: undefined },
      url: DEFAULT_URL,
      urlFrom: 'default',
      token: 'aio-token',
      tokenFrom: 'default',
    },
    {
      name: 'nothing at all: no token',
      in: { file: undefined, readTokenFile: () => undefined },
      url: DEFAULT_URL,
      urlFrom: 'default',
      tokenFrom: 'none',
    },
    {
      name: 'empty values count as unset',
      in: { flags: { url: '  ', token: '' }, env: { RSWARM_URL: '' } },
      url: 'http://lab:5001',
      urlFrom: 'context',
      token: 'ctx-token',
      tokenFrom: 'context',
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      const t = resolveTarget(inputs(c.in));
      assert.equal(t.url, c.url);
      assert.equal(t.urlFrom, c.urlFrom);
      assert.equal(t.token, c.token);
      assert.equal(t.tokenFrom, c.tokenFrom);
    });

  test('property: a flag always wins, whatever the environment and file hold', () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom('http://e:1', 'http://e:2'), { nil: undefined }),
        fc.option(
          fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
          { nil: undefined },
        ),
        fc.boolean(),
        fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
        (envUrl, envToken, withFile, flagToken) => {
          const t = resolveTarget(
            inputs({
              flags: { url: 'http://flag:9', token: flagToken },
              env: { RSWARM_URL: envUrl, RSWARM_TOKEN: envToken },
              file: withFile ? file : undefined,
            }),
          );
          return t.url === 'http://flag:9' && t.token === flagToken.trim() && t.tokenFrom === 'flag';
        },
      ),
    );
  });

  test('the file is read only when a value is missing or --context names one', () => {
    const broken = (): never => {
      throw new CliError(EXIT.usage, 'broken file');
    };
    const t = resolveTarget(
      inputs({ flags: { url: 'http://f:1' }, env: { RSWARM_TOKEN: 'e' }, file: broken }),
    );
    assert.deepEqual([t.url, t.token], ['http://f:1', 'e']);
    assert.throws(() => resolveTarget(inputs({ flags: { url: 'http://f:1' }, file: broken })), /broken file/);
    assert.throws(
      () => resolveTarget(inputs({ flags: { url: 'http://f:1', token: 't', context: 'lab' }, file: broken })),
      /broken file/,
    );
    assert.equal(resolveTarget(inputs({ file: () => file })).url, 'http://lab:5001');
  });

  test('an unknown context is a usage error naming the file and the contexts there', () => {
    assert.throws(
      () => resolveTarget(inputs({ flags: { context: 'nope' } })),
      (e: unknown) =>
        e instanceof CliError &&
        e.exitCode === EXIT.usage &&
        /no context named "nope" in \/home\/u\/\.rswarm\/config\.yaml \(contexts: lab, prod\)/.test(
          e.message,
        ),
    );
  });

  test('an unreadable tokenFile and a URL that is not http(s) are usage errors', () => {
    assert.throws(
      () => resolveTarget(inputs({ flags: { context: 'prod' }, readTokenFile: () => undefined })),
      /context "prod": tokenFile \/secrets\/prod cannot be read/,
    );
    assert.throws(
      () => resolveTarget(inputs({ flags: { url: 'ftp://x' } })),
      /must be http:\/\/ or https:\/\//,
    );
    assert.throws(
      () => resolveTarget(inputs({ env: { RSWARM_URL: 'not a url' } })),
      /"not a url" \(from env\) is not a URL/,
    );
  });
});

describe('the client config file', () => {
  test('parses contexts and current-context; empty file is no contexts', () => {
    assert.deepEqual(parseClientConfig('', 'f'), { contexts: [] });
    const f = parseClientConfig(
      'current-context: a\ncontexts:\n  - name: a\n    url: http://x:1\n    token: t\n',
      'f',
    );
    assert.deepEqual(f, { 'current-context': 'a', contexts: [{ name: 'a', url: 'http://x:1', token: 't' }] });
  });

  const bad: [string, RegExp][] = [
    ['contexts: [', /^cfg\.yaml: invalid YAML/],
    ['- a\n- b\n', /expected a mapping/],
    ['contexts: 3', /contexts must be a list/],
    ['contexts:\n  - url: http://x\n', /contexts\[0\]\.name is required/],
    ['contexts:\n  - name: a\n    colour: red\n', /contexts\[0\]\.colour: unknown field/],
    ['contexts:\n  - name: a\n    token: 5\n', /contexts\[0\]\.token must be a string/],
    ['current-context: [a]\n', /current-context must be a string/],
  ];
  for (const [text, re] of bad)
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseClientConfig(text, 'cfg.yaml'),
        (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && re.test(e.message),
      );
    });

  test('withContext adds a context or merges into the one of that name', () => {
    const added = withContext(file, { name: 'new', url: 'http://n:1' });
    assert.equal(added.contexts.length, 3);
    const merged = withContext(file, { name: 'lab', token: 'other' });
    assert.deepEqual(merged.contexts[0], { name: 'lab', url: 'http://lab:5001', token: 'other' });
  });

  test('redactToken never shows any part of a token', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (t) => {
        const r = redactToken(t) as string;
        return r === 'REDACTED';
      }),
    );
    assert.equal(redactToken(undefined), undefined);
  });
});
