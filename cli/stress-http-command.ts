/**
 * `rswarm stress http`: the HTTP load shape aimed at the services gateway. Sends a rate profile
 * (steady, step, burst) of requests to `<gateway>/<service>/<path>`, samples the service's
 * replicas every second, writes the report (replicas and latency over time) and prints the
 * summary. Wiring only: the pieces live in stress-client/http-load/ (imported when it runs).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { RATE_PROFILE_KINDS } from '../stress-client/http-load/rate-profile-kinds.js';
import type { RateProfileInput } from '../stress-client/http-load/rate-profile.js';
import { durationOption, numberOption, type RawOptions } from './stress-flags.js';

/** Where the command writes, and how it reads the token (from stress-commands). */
export interface HttpStressContext {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly readToken: (explicit: string | undefined, tokenFile: string | undefined) => string;
  readonly timestamp: () => string;
}

const str = (o: RawOptions, key: string): string | undefined =>
  typeof o[key] === 'string' ? o[key] : undefined;

const seconds = (o: RawOptions, key: string, flag: string): number | undefined => {
  const ms = durationOption(o, key, flag);
  return ms === undefined ? undefined : ms / 1000;
};

/** The profile from the flags; zod checks the values and names the bad field. */
export function profileOf(o: RawOptions): RateProfileInput | Record<string, unknown> {
  const kind = str(o, 'profile') ?? 'steady';
  if (!(RATE_PROFILE_KINDS as readonly string[]).includes(kind))
    throw new Error(`--profile: ${kind} is not one of ${RATE_PROFILE_KINDS.join(', ')}`);
  const defined = (x: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
  if (kind === 'step') {
    const rates = (str(o, 'rates') ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => {
        const n = Number(s);
        if (!Number.isFinite(n)) throw new Error(`--rates: ${s} is not a number`);
        return n;
      });
    if (rates.length === 0) throw new Error('--rates: give the rates of the steps, e.g. 0,20,0');
    return defined({ kind, rates, stepSeconds: seconds(o, 'step', '--step') });
  }
  const common = {
    kind,
    rate: numberOption(o, 'rate', '--rate'),
    durationSeconds: seconds(o, 'duration', '--duration'),
  };
  if (kind === 'burst')
    return defined({
      ...common,
      burstSize: numberOption(o, 'burstSize', '--burst-size'),
      burstEverySeconds: seconds(o, 'burstEvery', '--burst-every'),
    });
  return defined(common);
}

/** Registers `http` under the `stress` command. */
export function registerHttpStressCommand(stress: Command, ctx: HttpStressContext): void {
  stress
    .command('http')
    .description('HTTP requests to a service through the gateway; report of replicas and latency over time')
    .requiredOption('--service <name>', 'the service to load')
    .option('--path <path>', 'path under the service (default /)')
    .option('--gateway <url>', 'the gateway (default http://127.0.0.1:5080)')
    .option('--url <url>', 'the API, for the replica samples (default http://127.0.0.1:5001)')
    .option('--token <token>', 'bearer token (default RSWARM_TOKEN, then --token-file)')
    .option('--token-file <file>', 'file holding the token (default .rswarm/token)')
    .option('--profile <kind>', `rate profile: ${RATE_PROFILE_KINDS.join(', ')} (default steady)`)
    .option('--rate <req/s>', 'steady: requests per second (default 10); burst: the base rate (default 0)')
    .option('--duration <duration>', 'steady, burst: run length (default 30s)')
    .option('--rates <list>', 'step: requests per second of each step, e.g. 0,20,0')
    .option('--step <duration>', 'step: length of each step (default 10s)')
    .option('--burst-size <n>', 'burst: requests sent at once (default 50)')
    .option('--burst-every <duration>', 'burst: time between bursts, the first at 0 (default 10s)')
    .option('--max-in-flight <n>', 'requests in flight at most; more are skipped (default 256)')
    .option('--timeout <duration>', 'a request unanswered this long is a timeout (default 30s)')
    .option('--sample-every <duration>', 'replica sample period (default 1s)')
    .option('--tail <duration>', 'keep sampling replicas this long after the load (default 0)')
    .option('--max-p99-latency <duration>', 'exit 1 when the p99 latency is above this')
    .option('--out <dir>', 'report folder (default reports/<timestamp>-http)')
    .action(async (o: RawOptions) => {
      try {
        // The runner and the report (charts) load only when the command runs.
        const { formatHttpLoadSummary, resolveRateProfile, runHttpLoad, writeHttpLoadReport } =
          await import('../stress-client/http-load/index.js');
        const profile = resolveRateProfile(profileOf(o));
        const maxInFlight = numberOption(o, 'maxInFlight', '--max-in-flight');
        if (maxInFlight !== undefined && (!Number.isInteger(maxInFlight) || maxInFlight < 1))
          throw new Error(`--max-in-flight: ${maxInFlight} is not a whole number ≥ 1`);
        const requestTimeoutMs = durationOption(o, 'timeout', '--timeout');
        const sampleEveryMs = durationOption(o, 'sampleEvery', '--sample-every');
        const tailMs = durationOption(o, 'tail', '--tail');
        const maxP99 = durationOption(o, 'maxP99Latency', '--max-p99-latency');
        const service = str(o, 'service') as string;
        const gatewayUrl = str(o, 'gateway') ?? 'http://127.0.0.1:5080';
        const apiUrl = str(o, 'url') ?? 'http://127.0.0.1:5001';
        const token = ctx.readToken(str(o, 'token'), str(o, 'tokenFile'));
        const config = Object.fromEntries(
          Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'token'),
        );
        ctx.err(`[stress http] ${profile.kind} load on ${gatewayUrl}/${service}`);
        const result = await runHttpLoad({
          gatewayUrl,
          apiUrl,
          service,
          token,
          profile,
          config,
          ...(str(o, 'path') !== undefined ? { path: str(o, 'path') } : {}),
          ...(maxInFlight !== undefined ? { maxInFlight } : {}),
          ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
          ...(sampleEveryMs !== undefined ? { sampleEveryMs } : {}),
          ...(tailMs !== undefined ? { tailMs } : {}),
          onProgress: (sent, total, inFlight) =>
            ctx.err(`[stress http] ${sent}/${total} sent, ${inFlight} in flight`),
        });
        const out = str(o, 'out') ?? path.join('reports', `${ctx.timestamp()}-http`);
        const report = await writeHttpLoadReport(result, out);
        ctx.out(formatHttpLoadSummary(report.summary));
        ctx.out(`report: ${report.html} (${report.files.length} files in ${path.resolve(out)})`);
        const p99 = report.summary.latencyMs?.p99;
        if (maxP99 !== undefined && (p99 === undefined || p99 > maxP99)) {
          ctx.err(`threshold missed: latency p99 ${p99 ?? '–'} ms > ${maxP99} ms`);
          process.exitCode = 1;
        } else process.exitCode = 0;
      } catch (err) {
        ctx.err(`rswarm stress http: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 2;
      }
    });
}
