// @ts-check
/**
 * @module The dashboard's REST client: every call carries `Authorization: Bearer <token>`; an
 * error answer becomes an {@link ApiError} with the catalogue's code and message.
 */

/** An answer other than 2xx, with the error body's code (`UNAUTHORIZED`, `WORKER_NOT_FOUND`, …). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function errorOf(res) {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    const e = body && body.error;
    if (e && typeof e.code === 'string') return new ApiError(res.status, e.code, String(e.message ?? e.code));
  } catch {
    // Not the catalogue's JSON body (a proxy's page, say): the status line is all there is.
  }
  return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText);
}

/**
 * A client for one FrontEnd (the page's own origin) and one token.
 * @param {() => string | null} token the current token (read at each call, so signing in again needs no new client)
 */
export function createApi(token) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {AbortSignal} [signal]
   * @returns {Promise<Response>}
   */
  async function call(method, path, body, signal) {
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${token() ?? ''}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await errorOf(res);
    return res;
  }
  return {
    /**
     * A JSON answer.
     * @param {string} path
     * @returns {Promise<any>}
     */
    async get(path) {
      return (await call('GET', path)).json();
    },
    /**
     * A JSON request (or none) and its JSON answer.
     * @param {string} method
     * @param {string} path
     * @param {unknown} [body]
     * @returns {Promise<any>}
     */
    async send(method, path, body) {
      const res = await call(method, path, body);
      const type = res.headers.get('content-type') ?? '';
      return type.includes('json') ? res.json() : res.text();
    },
    /**
     * The open answer of a streaming route (events, followed logs); the caller reads its body.
     * @param {string} path
     * @param {AbortSignal} signal
     * @param {Record<string, string>} [extraHeaders]
     * @returns {Promise<Response>}
     */
    async stream(path, signal, extraHeaders = {}) {
      const res = await fetch(path, {
        headers: { authorization: `Bearer ${token() ?? ''}`, ...extraHeaders },
        cache: 'no-store',
        signal,
      });
      if (!res.ok) throw await errorOf(res);
      return res;
    },
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */
