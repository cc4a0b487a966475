/**
 * @module The worker-last-heard scenario, shared by the all-in-one component test and the
 * split-process integration test: a healthy worker's `lastHeartbeatAt` moves with its heartbeats;
 * a stopped one's stays at its last message, also once it is lost.
 */
import assert from 'node:assert/strict';
import { waitFor, type Cluster } from './control-plane-harness.js';
import { sleep } from './link-peers.js';

/** The fields of a worker view the scenario reads. */
export type View = { id: string; state: string; lastHeartbeatAt: string | null; rtt?: unknown };

/** Heartbeats every 200 ms, lost after 1.5 s of silence (the harness's settings). */
export const HEARTBEAT_MS = 200;

/** When `id` was last heard from, by the FrontEnd's view. */
export async function heardAt(get: () => Promise<View[]>, id: string): Promise<number> {
  const w = (await get()).find((v) => v.id === id);
  assert.ok(w?.lastHeartbeatAt, JSON.stringify(w));
  return Date.parse(w.lastHeartbeatAt);
}

/** Runs the scenario against one FrontEnd's GET /api/v1/workers. */
export async function lastHeardScenario(c: Cluster, get: () => Promise<View[]>): Promise<void> {
  await waitFor('the GlobalManager reports both workers', async () => {
    const list = await get();
    return list.length === 2 && list.every((w) => w.rtt !== undefined) ? list : undefined;
  });
  const joined = Date.now();
  const first = await heardAt(get, 'w1');
  await sleep(HEARTBEAT_MS * 4);
  const second = await waitFor('w1 heard from again', async () => {
    const t = await heardAt(get, 'w1');
    return t > first ? t : undefined;
  });
  assert.ok(second > first, `${second} after ${first}`);
  assert.ok(Date.now() - second < 2_000, `a healthy worker was heard from ${Date.now() - second} ms ago`);
  assert.ok(second >= joined - 2_000);

  // w2 stops: its time stays at its last message, before and after it is lost.
  await c.workers[1]?.close();
  const stopped = Date.now();
  // Past the FrontEnd's 1 s cache of the GlobalManager's rows (split processes), so the answer
  // read next was asked after the stop.
  await sleep(1_100);
  const lastOfW2 = await heardAt(get, 'w2');
  assert.ok(lastOfW2 <= stopped + 50, `w2 heard from at ${lastOfW2}, after it stopped at ${stopped}`);
  const lost = await waitFor('w2 lost', async () => {
    const w = (await get()).find((v) => v.id === 'w2');
    return w?.state === 'lost' ? w : undefined;
  });
  assert.equal(Date.parse(lost.lastHeartbeatAt as string), lastOfW2, 'a lost worker keeps its last time');
  await sleep(HEARTBEAT_MS * 2);
  assert.equal(await heardAt(get, 'w2'), lastOfW2);
  assert.ok((await heardAt(get, 'w1')) > second, 'w1 still moves');
}
