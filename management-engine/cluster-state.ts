/**
 * The state file: every process `cluster up` started, recorded as soon as it starts (so a
 * bring-up that fails half-way can still be torn down), next to the logs. `down` stops exactly
 * these and deletes the file.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const sshTarget = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  identityFile: z.string(),
  knownHosts: z.string(),
  strictHostKeyChecking: z.boolean(),
});

const recordSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('local'),
    name: z.string(),
    pid: z.number().int().positive(),
    startTime: z.string(),
    logFile: z.string(),
  }),
  z.object({
    kind: z.literal('remote'),
    name: z.string(),
    workerId: z.string(),
    target: sshTarget,
    pid: z.number().int().positive(),
    startTime: z.string(),
    logFile: z.string(),
  }),
]);

const stateSchema = z.object({
  version: z.literal(1),
  cluster: z.string(),
  clusterFile: z.string(),
  apiUrl: z.string(),
  tokenFile: z.string(),
  startedAt: z.string(),
  processes: z.array(recordSchema),
});

/** One started process. */
export type ProcessRecord = z.infer<typeof recordSchema>;

/** The content of the state file. */
export type ClusterState = z.infer<typeof stateSchema>;

/** Where the state of the cluster whose logs are in `logDir` lives. */
export function stateFilePath(logDir: string): string {
  return join(logDir, 'cluster-state.json');
}

/**
 * Reads the state file; undefined when there is none.
 * @throws Error when it exists but is not a valid state file (never guessed at: it says what to kill)
 */
export function readClusterState(file: string): ClusterState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = stateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`state file ${file} is invalid:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}

/** Writes the state atomically (temp file + rename), mode 0600. */
export function writeClusterState(file: string, state: ClusterState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Deletes the state file (no error when it is already gone). */
export function removeClusterState(file: string): void {
  rmSync(file, { force: true });
}
