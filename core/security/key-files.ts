import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type * as Zmq from 'zeromq';
import { isCurveKey } from './z85.js';

/** A CurveZMQ key pair, both halves Z85 text. The secret half is never logged. */
export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** Only the owner may read or write secret files. */
const SECRET_FILE_MODE = 0o600;

/**
 * Writes `text` to `file` with mode 0600, atomically (temporary file, then rename), creating the
 * directory (mode 0700) when missing.
 */
export function writeSecretFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: SECRET_FILE_MODE });
  chmodSync(tmp, SECRET_FILE_MODE);
  renameSync(tmp, file);
}

/**
 * Reads a secret file, refusing one that others can read or write (a key or token anyone on the
 * host can read is no secret).
 * @returns the text, or undefined when the file does not exist
 */
export function readSecretFile(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${file} is readable or writable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  return readFileSync(file, 'utf8');
}

/**
 * Creates `file` with `text` (mode 0600) unless it exists: processes starting together on one
 * directory all end up with the first one's content, never each with their own.
 * @returns false when the file already existed
 */
function createSecretFileOnce(file: string, text: string): boolean {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: SECRET_FILE_MODE });
  chmodSync(tmp, SECRET_FILE_MODE);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * The key pair kept in `file` (JSON `{publicKey, secretKey}`, mode 0600); a new pair is generated
 * and written when the file is missing.
 */
export function loadOrCreateKeyPair(file: string): CurveKeyPair {
  let text = readSecretFile(file);
  if (text === undefined) {
    // ZeroMQ (a native addon) is loaded only to make a pair, so reading keys stays light.
    const { curveKeyPair } = createRequire(import.meta.url)('zeromq') as typeof Zmq;
    const pair = curveKeyPair();
    if (createSecretFileOnce(file, JSON.stringify(pair) + '\n')) return pair;
    text = readSecretFile(file) ?? '';
  }
  const parsed = JSON.parse(text) as Partial<CurveKeyPair>;
  if (typeof parsed.publicKey !== 'string' || !isCurveKey(parsed.publicKey)) {
    throw new Error(`${file}: publicKey is not a 40-character Z85 key`);
  }
  if (typeof parsed.secretKey !== 'string' || !isCurveKey(parsed.secretKey)) {
    throw new Error(`${file}: secretKey is not a 40-character Z85 key`);
  }
  return { publicKey: parsed.publicKey, secretKey: parsed.secretKey };
}

/** The secret kept in `file` (one line, mode 0600); a random one is generated when missing. */
export function loadOrCreateSecret(file: string): string {
  const text = readSecretFile(file)?.trim();
  if (text) return text;
  const secret = randomBytes(32).toString('base64url');
  if (createSecretFileOnce(file, secret + '\n')) return secret;
  return readSecretFile(file)?.trim() ?? secret;
}

/**
 * Constant-time comparison of two secrets of any length: both sides are hashed first, so neither
 * the content nor the length leaks through timing.
 */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
