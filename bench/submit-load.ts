/**
 * A load generator in its own process (the control plane under test keeps its event loop):
 * submits jobs over HTTP and prints one JSON line when done. Run by bench/e2e-bench.ts.
 *
 *   tsx bench/submit-load.ts '{"url":…,"token":…,"prefix":"blast-","jobs":2500,"tasks":4,
 *                              "cores":2,"inFlight":64,"ratePerS":0}'
 *
 * `ratePerS` > 0 paces submissions (jobs per second); 0 submits as fast as they are accepted.
 * A 503 is retried after 100 ms, as Retry-After asks.
 */
interface LoadSpec {
  readonly url: string;
  readonly token: string;
  readonly prefix: string;
  readonly jobs: number;
  readonly tasks: number;
  readonly cores: number;
  readonly inFlight: number;
  readonly ratePerS: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function submit(i: number): Promise<void> {
  const body = JSON.stringify({
    name: `${spec.prefix}${i}`,
    tasks: Array.from({ length: spec.tasks }, (_, k) => ({
      name: `t${k}`,
      image: 'busybox',
      cores: spec.cores,
      memory: '50m',
      runSeconds: 3600,
    })),
  });
  for (;;) {
    const r = await fetch(`${spec.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spec.token}`, 'content-type': 'application/json' },
      body,
    });
    await r.arrayBuffer();
    if (r.status === 202) return;
    if (r.status !== 503) throw new Error(`submit ${spec.prefix}${i}: ${r.status}`);
    await sleep(100);
  }
}

const start = Date.now();
if (spec.ratePerS > 0) {
  const pending: Promise<void>[] = [];
  for (let i = 0; i < spec.jobs; i++) {
    const wait = start + (i / spec.ratePerS) * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(submit(i));
  }
  await Promise.all(pending);
} else {
  let next = 0;
  await Promise.all(
    Array.from({ length: spec.inFlight }, async () => {
      while (next < spec.jobs) await submit(next++);
    }),
  );
}
console.log(JSON.stringify({ submitted: spec.jobs, ms: Date.now() - start }));
