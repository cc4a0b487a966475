/**
 * Helpers for MongoDB connection strings, which the WHATWG `URL` parser cannot read when they
 * list several hosts (`mongodb://a:1,b:2/db`).
 */

const SCHEME_AND_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i;
const DATABASE_PATH = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]*)/i;

/** `url` with any user and password replaced by `***`, safe for logs and error messages. */
export function redactMongoUrl(url: string): string {
  return url.replace(SCHEME_AND_USERINFO, '$1***@');
}

/** The database named in `url`'s path, or undefined when it names none. */
export function mongoUrlDatabase(url: string): string | undefined {
  const raw = DATABASE_PATH.exec(url)?.[1];
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
