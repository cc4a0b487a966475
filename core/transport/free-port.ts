import { createServer } from 'node:net';

/**
 * A TCP port on loopback that was free a moment ago (the probe socket is closed again, so another
 * process could take it in between; callers on a shared machine bind soon after). Used to give
 * in-process control planes and test clusters their own endpoints.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
