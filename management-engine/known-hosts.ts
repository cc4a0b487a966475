/**
 * OpenSSH known_hosts matching, pure: parse the file's text once, then decide whether a host key
 * presented during the SSH handshake is the one on record. Supports plain and hashed (`|1|`)
 * host names, `[host]:port`, `*`/`?` wildcards, `!` negation and the `@revoked` marker;
 * `@cert-authority` lines are ignored (certificates are not used here).
 */
import { createHmac } from 'node:crypto';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  /** 1-based line number, for messages. */
  readonly line: number;
  readonly marker: '' | '@revoked' | '@cert-authority';
  /** Comma-separated host patterns as written (possibly hashed). */
  readonly patterns: readonly string[];
  readonly keyType: string;
  /** The key blob, base64 as written. */
  readonly keyBase64: string;
}

/** Outcome of {@link verifyHostKey}. */
export type HostKeyVerdict =
  | { readonly ok: true; readonly line: number }
  | { readonly ok: false; readonly reason: 'unknown' | 'mismatch' | 'revoked'; readonly message: string };

/** Parses known_hosts text; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (words[0] === '@revoked' || words[0] === '@cert-authority') marker = words.shift() as typeof marker;
    const [hosts, keyType, keyBase64] = words;
    if (!hosts || !keyType || !keyBase64) return;
    out.push({ line: i + 1, marker, patterns: hosts.split(','), keyType, keyBase64 });
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    'i',
  );
  return re.test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, kind, salt, hash] = pattern.split('|');
  if (kind !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** True when the entry's patterns select `name` (a negated match excludes the entry). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const p of entry.patterns) {
    if (p.startsWith('|')) {
      if (hashedMatch(p, name)) matched = true;
    } else if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The algorithm name inside an SSH public-key blob (its first length-prefixed string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '?';
  const len = blob.readUInt32BE(0);
  return len > 0 && len < 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : '?';
}

/**
 * Decides whether `key` (the raw host-key blob) is on record for `host:port`. A revoked key is
 * refused even if listed; a host with entries but none equal to `key` is a mismatch (possible
 * man in the middle); a host with no entries is unknown. `file` only labels the messages.
 */
export function verifyHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
  file: string,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const blob = key.toString('base64');
  const type = keyTypeOfBlob(key);
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, name));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.keyBase64 === blob);
  if (revoked) {
    return {
      ok: false,
      reason: 'revoked',
      message: `host key of ${name} (${type}) is marked @revoked in ${file} line ${revoked.line}: refusing to connect`,
    };
  }
  const same = forHost.find((e) => e.marker === '' && e.keyBase64 === blob);
  if (same) return { ok: true, line: same.line };
  const listed = forHost.filter((e) => e.marker === '');
  if (listed.length > 0) {
    const lines = listed.map((e) => `${e.line} (${e.keyType})`).join(', ');
    return {
      ok: false,
      reason: 'mismatch',
      message:
        `HOST KEY MISMATCH for ${name}: it presented a ${type} key that is not the one in ${file} ` +
        `(${listed.length} entr${listed.length === 1 ? 'y' : 'ies'} for this host, line ${lines}); ` +
        `someone may be intercepting the connection, or the host was reinstalled: check, then fix the file`,
    };
  }
  return {
    ok: false,
    reason: 'unknown',
    message:
      `host ${name} is not in ${file} (0 of ${entries.length} entries match); ` +
      `add its key (ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host} >> ${file}, after checking its fingerprint) ` +
      `or set strictHostKeyChecking: false for this worker`,
  };
}
