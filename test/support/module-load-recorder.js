/* global process */
// Preloaded with `node --import` by the start-up test (test/support/built-cli.ts): records every
// module the process loads into the file named by RSWARM_TEST_LOAD_LOG, one URL or path a line.
// ES modules are seen by a resolve hook (it runs on the loader's thread, hence the file, not
// memory); CommonJS modules (mongodb, dockerode, zeromq are CommonJS) by reading require's cache
// when the process exits. Plain JavaScript: it also runs under plain node, without tsx.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

// eslint-disable-next-line no-restricted-properties -- a test hook, not the product's configuration
const log = process.env['RSWARM_TEST_LOAD_LOG'];
if (log) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
      return result;
    }`;
  register('data:text/javascript,' + encodeURIComponent(hooks));
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(log, Object.keys(require.cache).join('\n') + '\n'));
}
