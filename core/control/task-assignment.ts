import type { JobRecord, TaskRecord } from '../model/records.js';
import { containerNameOf } from '../model/container-name.js';
import type { TaskAssignment } from '../protocol/messages.js';

/** What a worker needs to run the current attempt of `task` of `job`. */
export function assignmentOf(job: JobRecord, task: TaskRecord): TaskAssignment & { workerId: string } {
  const spec = job.spec.tasks.find((t) => t.name === task.name);
  if (!spec) throw new Error(`assignmentOf: ${job.name} has no task ${task.name}`);
  if (!task.workerId) throw new Error(`assignmentOf: ${job.name}/${task.name} is not placed`);
  return {
    workerId: task.workerId,
    job: job.name,
    task: task.name,
    attempt: job.attempt,
    containerName: containerNameOf(job.spec, task.name, job.attempt) + (task.moves ? `-m${task.moves}` : ''),
    image: spec.image,
    command: spec.command ? [...spec.command] : null,
    coreIds: [...task.coreIds],
    memoryBytes: task.memoryBytes,
    env: { ...spec.env },
    ports: spec.ports.map((p) => ({ ...p })),
    volumes: spec.volumes.map((v) => ({ ...v })),
    network: {
      name: job.spec.network.name,
      driver: job.spec.network.driver,
      ...(job.spec.network.subnet ? { subnet: job.spec.network.subnet } : {}),
    },
    runSeconds: spec.runSeconds ?? null,
  };
}

/** Assignments of every live, placed task of the job's current attempt on `workerId`. */
export function desiredOnWorker(job: JobRecord, workerId: string): TaskAssignment[] {
  if (job.cancelRequested) return [];
  return job.tasks
    .filter(
      (t) =>
        t.workerId === workerId &&
        (t.state === 'scheduled' || t.state === 'starting' || t.state === 'running'),
    )
    .map((t) => {
      const { workerId: _w, ...a } = assignmentOf(job, t);
      return a;
    });
}
