/**
 * Where the operator commands send requests and with which token: flags, then the environment,
 * then the client config file (kubeconfig-like contexts), then the defaults `rswarm all-in-one`
 * leaves behind. Pure: the caller hands in the flags, the environment, the parsed file and a
 * reader for the default token file.
 */
import { parse as parseYaml } from 'yaml';
import { CliError, EXIT } from './exit-codes.js';

/** The URL `rswarm all-in-one` serves on by default. */
export const DEFAULT_URL = 'http://127.0.0.1:5001';
/** Where `rswarm all-in-one` writes its token, relative to the working directory. */
export const DEFAULT_TOKEN_FILE = '.rswarm/token';

/** One context of the client config file. */
export interface ClientContext {
  readonly name: string;
  readonly url?: string;
  readonly token?: string;
  readonly tokenFile?: string;
}

/** The client config file (`~/.rswarm/config.yaml`). */
export interface ClientConfigFile {
  readonly 'current-context'?: string;
  readonly contexts: readonly ClientContext[];
}

/** The target flags of every client command. */
export interface TargetFlags {
  readonly url?: string;
  readonly token?: string;
  readonly context?: string;
}

/** Where each value came from, so `config view` and error messages can say. */
export type Source = 'flag' | 'env' | 'context' | 'default' | 'none';

/** The resolved target. */
export interface Target {
  readonly url: string;
  readonly token: string | undefined;
  readonly urlFrom: Source;
  readonly tokenFrom: Source;
  readonly context: string | undefined;
}

/** What {@link resolveTarget} reads. */
export interface TargetInputs {
  readonly flags: TargetFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The client config file, or a function reading it: read only when a value is not given by
   * flag or environment (or `--context` names a context), so a broken file cannot stop a call
   * that does not need it.
   */
  readonly file: ClientConfigFile | undefined | (() => ClientConfigFile | undefined);
  /** Where the file is, for messages. */
  readonly filePath: string;
  /** Reads a token file (trimmed); undefined when it does not exist. */
  readonly readTokenFile: (path: string) => string | undefined;
}

const nonEmpty = (s: string | undefined): string | undefined => (s && s.trim() !== '' ? s.trim() : undefined);

/** Resolves URL and token, each on its own: flag > environment > context > default. */
export function resolveTarget(i: TargetInputs): Target {
  const given = (flag: string | undefined, env: string): boolean =>
    nonEmpty(flag) !== undefined || nonEmpty(i.env[env]) !== undefined;
  const needFile =
    nonEmpty(i.flags.context) !== undefined ||
    !given(i.flags.url, 'RSWARM_URL') ||
    !given(i.flags.token, 'RSWARM_TOKEN');
  const file = !needFile ? undefined : typeof i.file === 'function' ? i.file() : i.file;
  const ctxName = nonEmpty(i.flags.context) ?? nonEmpty(file?.['current-context']);
  let ctx: ClientContext | undefined;
  if (ctxName) {
    ctx = file?.contexts.find((c) => c.name === ctxName);
    // A context asked for by flag must exist; a stale current-context too (it names the file).
    if (!ctx)
      throw new CliError(
        EXIT.usage,
        `no context named "${ctxName}" in ${i.filePath}` +
          (file?.contexts.length ? ` (contexts: ${file.contexts.map((c) => c.name).join(', ')})` : ''),
      );
  }
  const url =
    pick(nonEmpty(i.flags.url), 'flag') ??
    pick(nonEmpty(i.env['RSWARM_URL']), 'env') ??
    pick(nonEmpty(ctx?.url), 'context') ??
    ([DEFAULT_URL, 'default'] as const);
  const ctxToken = (): string | undefined => {
    if (nonEmpty(ctx?.token)) return nonEmpty(ctx?.token);
    if (!ctx?.tokenFile) return undefined;
    const t = i.readTokenFile(ctx.tokenFile);
    if (t === undefined)
      throw new CliError(EXIT.usage, `context "${ctx.name}": tokenFile ${ctx.tokenFile} cannot be read`);
    return t;
  };
  const token =
    pick(nonEmpty(i.flags.token), 'flag') ??
    pick(nonEmpty(i.env['RSWARM_TOKEN']), 'env') ??
    pick(ctxToken(), 'context') ??
    pick(nonEmpty(i.readTokenFile(DEFAULT_TOKEN_FILE)), 'default') ??
    ([undefined, 'none'] as const);
  return {
    url: checkUrl(url[0], url[1]).replace(/\/+$/, ''),
    urlFrom: url[1],
    token: token[0],
    tokenFrom: token[1],
    context: ctx?.name,
  };
}

function pick<T>(v: T | undefined, from: Source): readonly [T, Source] | undefined {
  return v === undefined ? undefined : ([v, from] as const);
}

function checkUrl(url: string, from: Source): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(EXIT.usage, `the server URL "${url}" (from ${from}) is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError(EXIT.usage, `the server URL "${url}" (from ${from}) must be http:// or https://`);
  return url;
}

/** Parses the client config file's text; a bad file is a usage error naming the file and field. */
export function parseClientConfig(text: string, filePath: string): ClientConfigFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CliError(EXIT.usage, `${filePath}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return { contexts: [] };
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new CliError(EXIT.usage, `${filePath}: expected a mapping with "contexts" and "current-context"`);
  const r = raw as Record<string, unknown>;
  const cur = r['current-context'];
  if (cur !== undefined && cur !== null && typeof cur !== 'string')
    throw new CliError(EXIT.usage, `${filePath}: current-context must be a string`);
  const list = r['contexts'] ?? [];
  if (!Array.isArray(list)) throw new CliError(EXIT.usage, `${filePath}: contexts must be a list`);
  const contexts = list.map((c: unknown, n) => {
    const at = `${filePath}: contexts[${n}]`;
    if (typeof c !== 'object' || c === null) throw new CliError(EXIT.usage, `${at} must be a mapping`);
    const o = c as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!['name', 'url', 'token', 'tokenFile'].includes(k))
        throw new CliError(EXIT.usage, `${at}.${k}: unknown field (name, url, token, tokenFile)`);
    for (const k of ['name', 'url', 'token', 'tokenFile'])
      if (o[k] !== undefined && typeof o[k] !== 'string')
        throw new CliError(EXIT.usage, `${at}.${k} must be a string`);
    if (!o['name']) throw new CliError(EXIT.usage, `${at}.name is required`);
    return o as unknown as ClientContext;
  });
  return { ...(typeof cur === 'string' ? { 'current-context': cur } : {}), contexts };
}

/** The file with `ctx` added or its fields merged into the context of that name. */
export function withContext(file: ClientConfigFile, ctx: ClientContext): ClientConfigFile {
  const old = file.contexts.find((c) => c.name === ctx.name);
  const merged = { ...(old ?? {}), ...ctx };
  return {
    ...file,
    contexts: old ? file.contexts.map((c) => (c.name === ctx.name ? merged : c)) : [...file.contexts, merged],
  };
}

/** A token as `config view` shows it: never the secret itself. */
export function redactToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  return 'REDACTED';
}
