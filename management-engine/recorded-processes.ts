/**
 * What `status` and `down` do with the recorded processes. `down` stops exactly them: workers first (over SSH, one connection per host), then
 * the control plane in reverse start order. A PID is signalled only while it still carries the
 * recorded start time, so a recycled PID, and every other process on the host, is left alone.
 */
import type { ClusterState, ProcessRecord } from './cluster-state.js';
import type { ProcessHost, RemoteShellFactory, StopOutcome } from './process-host.js';
import type { SshTarget } from './ssh-remote-shell.js';

/** What `down` did. */
export interface StopReport {
  readonly stopped: readonly { readonly record: ProcessRecord; readonly outcome: StopOutcome }[];
  /** Records that could not be stopped (their host was unreachable); kept in the state file. */
  readonly remaining: readonly ProcessRecord[];
  readonly errors: readonly string[];
}

/** What {@link stopRecorded} needs. */
export interface StopDeps {
  readonly local: ProcessHost;
  readonly connect: RemoteShellFactory<SshTarget>;
  readonly graceMs: number;
  readonly out: (line: string) => void;
}

/** Stops every process in `state`; never throws for one process, reports it instead. */
export async function stopRecorded(state: ClusterState, deps: StopDeps): Promise<StopReport> {
  const stopped: { record: ProcessRecord; outcome: StopOutcome }[] = [];
  const remaining: ProcessRecord[] = [];
  const errors: string[] = [];
  const remote = state.processes.filter((p) => p.kind === 'remote');
  const byHost = new Map<string, (typeof remote)[number][]>();
  for (const r of remote) {
    const key = JSON.stringify(r.target);
    byHost.set(key, [...(byHost.get(key) ?? []), r]);
  }
  for (const records of byHost.values()) {
    const first = records[0]!;
    let host: ProcessHost;
    try {
      host = await deps.connect(first.target);
    } catch (err) {
      errors.push((err as Error).message);
      remaining.push(...records);
      continue;
    }
    try {
      for (const r of [...records].reverse()) {
        try {
          const outcome = await host.stop(r, deps.graceMs);
          stopped.push({ record: r, outcome });
          deps.out(`${r.name}: ${outcome} (remote pid ${r.pid} on ${host.label})`);
        } catch (err) {
          errors.push((err as Error).message);
          remaining.push(r);
        }
      }
    } finally {
      await host.close();
    }
  }
  const local = state.processes.filter((p) => p.kind === 'local').reverse();
  for (const r of local) {
    try {
      const outcome = await deps.local.stop(r, deps.graceMs);
      stopped.push({ record: r, outcome });
      deps.out(`${r.name}: ${outcome} (pid ${r.pid})`);
    } catch (err) {
      errors.push(`${r.name} (pid ${r.pid}): ${(err as Error).message}`);
      remaining.push(r);
    }
  }
  if (errors.length > 0)
    deps.out(
      `could not stop ${remaining.length} of ${state.processes.length} process(es): ${errors.join('; ')}`,
    );
  return { stopped, remaining, errors };
}

/** One row of `status`. */
export interface ProcessStatus {
  readonly record: ProcessRecord;
  /** True/false, or the reason it could not be checked. */
  readonly running: boolean | string;
}

/** Whether each recorded process still runs (one SSH connection per host); never throws. */
export async function checkRecorded(
  state: ClusterState,
  local: ProcessHost,
  connect: RemoteShellFactory<SshTarget>,
): Promise<ProcessStatus[]> {
  const out: ProcessStatus[] = [];
  const remotes = new Map<string, Promise<ProcessHost>>();
  try {
    for (const record of state.processes) {
      try {
        if (record.kind === 'local') {
          out.push({ record, running: await local.isRunning(record) });
        } else {
          const key = JSON.stringify(record.target);
          let host = remotes.get(key);
          if (!host) remotes.set(key, (host = connect(record.target)));
          out.push({ record, running: await (await host).isRunning(record) });
        }
      } catch (err) {
        out.push({ record, running: `unknown: ${(err as Error).message}` });
      }
    }
  } finally {
    for (const h of remotes.values())
      await h.then(
        (x) => x.close(),
        () => undefined,
      );
  }
  return out;
}
