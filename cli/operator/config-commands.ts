/**
 * `rswarm config set-context|use-context|view`: the client config file (`~/.rswarm/config.yaml`,
 * or RSWARM_CLIENT_CONFIG), kubeconfig-like. The file holds tokens, so it is written 0600 and
 * `view` never prints one.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { redactToken, resolveTarget, withContext, type ClientConfigFile } from './client-config.js';
import { CliError, EXIT } from './exit-codes.js';
import { act, clientConfigPath, clientFor, readClientConfig, type OperatorIo } from './operator-io.js';

function writeClientConfig(path: string, file: ClientConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, stringify(file), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The file as `config view` prints it: tokens replaced by REDACTED. */
export function redactedConfig(file: ClientConfigFile): ClientConfigFile {
  return {
    ...file,
    contexts: file.contexts.map((c) => (c.token === undefined ? c : { ...c, token: redactToken(c.token) })),
  };
}

/** Adds `rswarm config …` to `program`. */
export function registerConfigCommands(
  program: Command,
  io: OperatorIo,
  configure: (c: Command) => Command,
): void {
  const config = configure(
    program
      .command('config')
      .description('contexts of the client config file (~/.rswarm/config.yaml): URL and token'),
  );

  config
    .command('set-context')
    .description('add a context or change its fields')
    .argument('<name>', 'context name')
    .option('--url <url>', 'API base URL, e.g. http://10.0.0.5:5001')
    .option('--token <token>', 'bearer token (stored in the file, which is kept 0600)')
    .option('--token-file <file>', 'read the token from this file at each call instead')
    .option('--use', 'also make it the current context')
    .action(
      act(io, (name: string, f: { url?: string; token?: string; tokenFile?: string; use?: boolean }) => {
        if (f.token && f.tokenFile) throw new CliError(EXIT.usage, 'give --token or --token-file, not both');
        const path = clientConfigPath(io);
        const file = readClientConfig(io) ?? { contexts: [] };
        let next = withContext(file, {
          name,
          ...(f.url ? { url: f.url } : {}),
          ...(f.token ? { token: f.token } : {}),
          ...(f.tokenFile ? { tokenFile: f.tokenFile } : {}),
        });
        // A new token source replaces the other one.
        next = {
          ...next,
          contexts: next.contexts.map((c) => {
            if (c.name !== name) return c;
            const { token, tokenFile, ...rest } = c;
            if (f.token) return { ...rest, token: f.token };
            if (f.tokenFile) return { ...rest, tokenFile: f.tokenFile };
            return { ...rest, ...(token ? { token } : {}), ...(tokenFile ? { tokenFile } : {}) };
          }),
        };
        // Check the URL now rather than at the next call.
        if (f.url)
          resolveTarget({
            flags: { url: f.url },
            env: {},
            file: undefined,
            filePath: path,
            readTokenFile: () => undefined,
          });
        if (f.use || !next['current-context']) next = { ...next, 'current-context': name };
        writeClientConfig(path, next);
        io.out(`context ${name} saved in ${path}${next['current-context'] === name ? ' (current)' : ''}`);
      }),
    );

  config
    .command('use-context')
    .description('make a context the current one')
    .argument('<name>', 'context name')
    .action(
      act(io, (name: string) => {
        const path = clientConfigPath(io);
        const file = readClientConfig(io) ?? { contexts: [] };
        if (!file.contexts.some((c) => c.name === name))
          throw new CliError(
            EXIT.usage,
            `no context named "${name}" in ${path}` +
              (file.contexts.length ? ` (contexts: ${file.contexts.map((c) => c.name).join(', ')})` : ''),
          );
        writeClientConfig(path, { ...file, 'current-context': name });
        io.out(`current context: ${name}`);
      }),
    );

  config
    .command('view')
    .description('the client config file (tokens redacted) and the URL and token in effect')
    .option('--url <url>', 'as the other commands take it')
    .option('--token <token>', 'as the other commands take it')
    .option('--context <name>', 'as the other commands take it')
    .action(
      act(io, (f: { url?: string; token?: string; context?: string }) => {
        const path = clientConfigPath(io);
        const file = readClientConfig(io);
        io.out(`# ${path}${file ? '' : ' (none)'}`);
        if (file) io.out(stringify(redactedConfig(file)).trimEnd());
        const t = clientFor(io, f).target;
        io.out(
          `# in effect: url ${t.url} (from ${t.urlFrom}); token ${t.token ? `REDACTED (from ${t.tokenFrom})` : 'none'}` +
            (t.context ? `; context ${t.context}` : ''),
        );
      }),
    );
}
