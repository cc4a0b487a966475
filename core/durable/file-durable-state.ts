import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DirectoryLock } from './directory-lock.js';
import type { DurableState } from './durable-state.js';
import { FencedLog } from './fenced-log.js';
import { FileLogStorage } from './file-log-storage.js';
import { FileSnapshotStore } from './file-snapshot-store.js';
import type { SnapshotOptions } from './snapshot-store.js';

/** Where the embedded default keeps its control state, relative to the working directory. */
export const DEFAULT_STATE_DIRECTORY = '.rswarm/state';

/**
 * Opens the {@link DurableState} kept in `directory` (created if missing): the log in `log/`, the
 * snapshots in `snapshots/`, guarded by a `LOCK` file so no second process can use it while this
 * one runs. Fencing within the directory is that lock plus each log handle's term check.
 *
 * @throws DirectoryLockedError naming the directory and the pid that holds it.
 * @throws Error when a log segment is corrupt (beyond a torn last line, which is cut off).
 */
export async function openFileDurableState(
  directory: string = DEFAULT_STATE_DIRECTORY,
  options: SnapshotOptions = {},
): Promise<DurableState> {
  const root = path.resolve(directory);
  await mkdir(root, { recursive: true });
  const lock = await DirectoryLock.acquire(root);
  let storage: FileLogStorage;
  let snapshots: FileSnapshotStore;
  try {
    storage = await FileLogStorage.open(path.join(root, 'log'));
    snapshots = await FileSnapshotStore.open(path.join(root, 'snapshots'), options);
  } catch (err) {
    await lock.release();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    log: <T>() => new FencedLog<T>(storage),
    snapshots,
    get roundTrips() {
      return storage.roundTrips + snapshots.roundTrips;
    },
    close: () => {
      closing ??= storage.close().finally(() => lock.release());
      return closing;
    },
  };
}
