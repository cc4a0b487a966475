import { open } from 'node:fs/promises';

/**
 * Flushes a directory's entries (created, renamed, deleted files) to disk. Without it a file that
 * was fsynced can still vanish after a power cut, because its name was never made durable.
 */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
