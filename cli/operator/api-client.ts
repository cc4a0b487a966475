/**
 * The operator commands' HTTP client: bearer token, JSON in and out, and every failure mapped to
 * an exit code (exit-codes.ts): an error status becomes an {@link ApiError} with the API's code,
 * a socket that cannot connect becomes exit 3 naming the URL.
 */
import { ApiError, CliError, EXIT, type ApiErrorBody } from './exit-codes.js';
import type { Target } from './client-config.js';

/** One JSON answer: the parsed body and its text exactly as the server sent it. */
export interface JsonAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

/** Query values; undefined ones are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** Options of one request. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Query;
  readonly signal?: AbortSignal;
  readonly accept?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The REST API at one target. */
export class ApiClient {
  constructor(readonly target: Target) {}

  /** The URL of `path` (under the target) with `query`. */
  url(path: string, query: Query = {}): string {
    const u = new URL(this.target.url + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Sends a request and answers the raw response when its status is below 400. */
  async send(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: o.accept ?? 'application/json', ...(o.headers ?? {}) };
    if (this.target.token) headers['authorization'] = `Bearer ${this.target.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(path, o.query), {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new CliError(EXIT.unreachable, `cannot reach ${this.target.url}: ${causeOf(err)}`);
    }
    if (res.status >= 400) {
      const text = await res.text().catch(() => '');
      throw new ApiError(res.status, errorBodyOf(text), text);
    }
    return res;
  }

  /** Sends a request and parses the JSON answer. */
  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<JsonAnswer<T>> {
    const res = await this.send(method, path, o);
    const text = await res.text();
    try {
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
    } catch {
      throw new CliError(
        EXIT.api,
        `${method} ${path}: the server answered ${res.status} with a body that is not JSON`,
      );
    }
  }

  /** GET helper. */
  get<T>(path: string, query?: Query): Promise<JsonAnswer<T>> {
    return this.json<T>('GET', path, query ? { query } : {});
  }
}

/** The API's error body inside `text`, when it is one. */
function errorBodyOf(text: string): ApiErrorBody | undefined {
  try {
    const b = JSON.parse(text) as { error?: ApiErrorBody };
    return b && typeof b.error?.code === 'string' ? b.error : undefined;
  } catch {
    return undefined;
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  return cause?.message ?? (err as Error).message;
}

/** A path segment, escaped (names are validated by the API; this keeps odd input harmless). */
export const seg = (s: string): string => encodeURIComponent(s);
