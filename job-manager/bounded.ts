/**
 * `work`, or a rejection once `ms` pass without it settling (`work` goes on; its outcome is then
 * ignored). For writes whose promise a lost connection may leave pending for good.
 * @param what names the write in the timeout's message
 */
export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a late failure is already accounted for
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
