import type { ControlLink, ServiceState } from '../core/control-state/index.js';
import { AppError } from '../core/errors/index.js';
import type { JobRules } from '../core/job/index.js';
import { redactEnv } from '../core/log/redact-secrets.js';
import { SERVICE_DEFAULTS, validateService } from '../core/services/index.js';
import type { components } from '../openapi/schema.js';
import { proposeOrThrow } from './control-plane-handlers.js';
import type { HandlerResult, OperationHandlers } from './operation-handler.js';

type ServiceView = components['schemas']['ServiceView'];

/** What the services routes need. */
export interface ServicesDeps {
  /** Definitions and replicas are control state: read from and changed through the leader. */
  readonly control: ControlLink;
  readonly jobRules: JobRules;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The API's view of a service (schema `ServiceView`); environment values never leave. */
export function serviceView({ record, replicas }: ServiceState): ServiceView {
  const s = record.spec;
  return {
    name: s.name,
    image: s.image,
    command: s.command ? [...s.command] : null,
    env: redactEnv(s.env) as Record<string, string>,
    port: s.port,
    healthPath: s.healthPath,
    cores: s.cores,
    memoryBytes: s.memoryBytes,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    idleTimeoutMs: s.idleTimeoutMs,
    healthGraceMs: s.healthGraceMs ?? SERVICE_DEFAULTS.healthGraceMs,
    priority: s.priority,
    placement: s.placement,
    imageDigest: record.imageDigest ?? null,
    latency: s.latency ? { ...s.latency } : null,
    public: s.public,
    autoscale: s.autoscale
      ? {
          ...s.autoscale,
          lastLoad: record.autoscale?.load ?? null,
          lastDecisionAt: record.autoscale ? iso(record.autoscale.lastDecisionAt) : null,
        }
      : null,
    desired: record.desired,
    generation: record.generation,
    replicas: replicas
      .map((j) => ({
        job: j.name,
        state: j.state,
        workerId: j.tasks[0]?.workerId ?? null,
        generation: j.spec.service?.generation ?? 0,
        unplacedReason: j.unplacedReason,
      }))
      .sort((a, b) => (a.job < b.job ? -1 : 1)),
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
  };
}

/**
 * The `/api/v1/services` routes. A service's definition and desired count are control state, so
 * every change is an intent to the leader (answered once durable in its log) and every read asks
 * the leader, which holds the replicas' live state too.
 */
export function servicesHandlers(deps: ServicesDeps): OperationHandlers {
  const { control } = deps;
  const find = async (name: string): Promise<ServiceState> => {
    const [found] = await control.query({ kind: 'services', name });
    if (!found) throw new AppError('SERVICE_NOT_FOUND', `no service named "${name}"`);
    return found;
  };
  const ok = async (name: string, status: number): Promise<HandlerResult> => ({
    status,
    body: serviceView(await find(name)),
  });

  return {
    listServices: async () => ({
      status: 200,
      body: (await control.query({ kind: 'services' })).map(serviceView),
    }),
    putService: async (req) => {
      const v = validateService(req.body, deps.jobRules);
      if (!v.ok) throw new AppError('VALIDATION_FAILED', 'the service is not valid', v.issues);
      const existed = (await control.query({ kind: 'services', name: v.service.name })).length > 0;
      await proposeOrThrow(control, { kind: 'service-put', spec: v.service });
      return ok(v.service.name, existed ? 200 : 201);
    },
    getService: async (req) => ok(req.params['service'] as string, 200),
    deleteService: async (req) => {
      const name = req.params['service'] as string;
      const before = serviceView(await find(name));
      await proposeOrThrow(control, { kind: 'service-delete', name });
      return { status: 202, body: before };
    },
    scaleService: async (req) => {
      const name = req.params['service'] as string;
      const replicas = (req.body as { replicas: number }).replicas;
      await proposeOrThrow(control, { kind: 'service-scale', name, mode: 'exact', replicas });
      return ok(name, 202);
    },
  };
}
