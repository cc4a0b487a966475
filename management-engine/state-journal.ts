/**
 * Keeps the state file in step with what is running: each process is recorded the moment it
 * starts, so an interrupted `up` leaves a file `down` can act on.
 */
import {
  removeClusterState,
  writeClusterState,
  type ClusterState,
  type ProcessRecord,
} from './cluster-state.js';

/** The state file of one `up` or `down`, written through on every change. */
export class StateJournal {
  private constructor(
    private readonly file: string,
    private state: ClusterState,
  ) {}

  /** Starts a new state file with no processes. */
  static begin(file: string, header: Omit<ClusterState, 'version' | 'processes'>): StateJournal {
    const j = new StateJournal(file, { version: 1, ...header, processes: [] });
    writeClusterState(file, j.state);
    return j;
  }

  /** Continues an existing state file (for `down`). */
  static resume(file: string, state: ClusterState): StateJournal {
    return new StateJournal(file, state);
  }

  /** Records a started process and writes the file. */
  add(record: ProcessRecord): void {
    this.state = { ...this.state, processes: [...this.state.processes, record] };
    writeClusterState(this.file, this.state);
  }

  /** Every process recorded so far, in start order. */
  get records(): readonly ProcessRecord[] {
    return this.state.processes;
  }

  /** The current state. */
  snapshot(): ClusterState {
    return this.state;
  }

  /** Keeps only `remaining` (processes that could not be stopped); deletes the file when none. */
  finish(remaining: readonly ProcessRecord[]): void {
    if (remaining.length === 0) {
      removeClusterState(this.file);
      return;
    }
    this.state = { ...this.state, processes: [...remaining] };
    writeClusterState(this.file, this.state);
  }
}
