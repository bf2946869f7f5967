/**
 * `setupMetrics`: the Python metric catalogue on a prom-client Registry that is injected or
 * private (never prom-client's global one, so several setups in one process never clash).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigurationError } from '../core/errors';
import { normalizePrefix, resolveGroups, type MetricGroup } from './groups';

export interface MetricsOptions {
  /** Env METRICS_ENABLED. Disabled metrics cost nothing on the request path. */
  enabled: boolean;
  /** Env METRICS_GROUPS: comma list of traffic, performance, reliability, health, auth or `all`. */
  groups?: string | readonly string[] | undefined;
  /** Env API_PREFIX: becomes the metric name prefix (`/api/v1` → `api_v1_`). */
  apiPrefix?: string | undefined;
  /** Registry to register on; default a new private one. */
  registry?: Registry | undefined;
}

/** The settings `setupMetrics({ settings })` reads (a subset of AuthSettings). */
export interface MetricsSettings {
  METRICS_ENABLED: boolean;
  /** Default `all`. */
  METRICS_GROUPS?: string | undefined;
  /** Default `""`. */
  API_PREFIX?: string | undefined;
}

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const FLUSH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

function httpMetrics(p: string, registers: Registry[], groups: Set<MetricGroup>) {
  return {
    requests: groups.has('traffic')
      ? new Counter({
          name: `${p}http_requests_total`,
          help: 'Total HTTP requests',
          labelNames: ['method', 'endpoint', 'status_code'] as const,
          registers,
        })
      : undefined,
    duration: groups.has('performance')
      ? new Histogram({
          name: `${p}http_request_duration_seconds`,
          help: 'HTTP request latency in seconds',
          labelNames: ['method', 'endpoint'] as const,
          buckets: HTTP_BUCKETS,
          registers,
        })
      : undefined,
    errors: groups.has('reliability')
      ? new Counter({
          name: `${p}http_errors_total`,
          help: 'Total 4xx and 5xx HTTP responses',
          labelNames: ['method', 'endpoint', 'status_class'] as const,
          registers,
        })
      : undefined,
    statuses: groups.has('health')
      ? new Counter({
          name: `${p}http_status_total`,
          help: 'HTTP responses by exact status code',
          labelNames: ['status_code'] as const,
          registers,
        })
      : undefined,
  };
}

function authMetrics(p: string, registers: Registry[]) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `${p}${name}`, help, labelNames, registers });
  return {
    loginAttempts: counter('auth_login_attempts_total', 'Login attempts by result', ['result']),
    tokenRefresh: counter('auth_token_refresh_total', 'Token refresh requests by result', [
      'result',
    ]),
    logouts: counter('auth_logout_total', 'Logout requests', []),
    validationFailures: counter(
      'auth_token_validation_failures_total',
      'Access token validation failures by reason',
      ['reason'],
    ),
    oauthAttempts: counter('auth_oauth_attempts_total', 'OAuth login attempts', [
      'provider',
      'result',
    ]),
    revocationFailures: counter(
      'auth_revocation_failure_total',
      'Revocation store failures by operation',
      ['operation'],
    ),
    degradedDecisions: counter(
      'auth_degraded_decision_total',
      'Decisions taken while a store could not answer',
      ['control', 'mode', 'reason'],
    ),
    breakerOpen: new Gauge({
      name: `${p}auth_redis_circuit_breaker_open`,
      help: 'Store circuit breaker state (1 open, 0 closed)',
      registers,
    }),
    storeBreakerOpen: new Gauge({
      name: `${p}auth_store_circuit_breaker_open`,
      help: 'Circuit breaker state per store (1 open, 0 closed)',
      labelNames: ['store'] as const,
      registers,
    }),
    degradationMode: new Gauge({
      name: `${p}auth_degradation_mode_active`,
      help: 'Active failure mode per control (1 active)',
      labelNames: ['control', 'mode'] as const,
      registers,
    }),
    integrityDenials: counter(
      'auth_session_integrity_denial_total',
      'Session integrity denials (refresh token reuse)',
      ['trigger'],
    ),
    apiKeyValidations: counter('auth_api_key_validations_total', 'API key validations by result', [
      'result',
    ]),
    apiKeyRateChecks: counter('auth_api_key_rate_limit_checks_total', 'API key rate-limit checks', [
      'result',
    ]),
    apiKeyRateHits: counter(
      'auth_api_key_rate_limit_hits_total',
      'API key rate-limit hits by period',
      ['period'],
    ),
    apiKeyLifecycle: counter('auth_api_key_lifecycle_total', 'API key lifecycle events', [
      'action',
    ]),
    apiKeyFlush: new Histogram({
      name: `${p}auth_api_key_flush_duration_seconds`,
      help: 'API key usage flush duration',
      buckets: FLUSH_BUCKETS,
      registers,
    }),
    jwksFetches: counter(
      'auth_jwks_fetch_total',
      'JWKS fetches by result (success, failure, stale)',
      ['result'],
    ),
  };
}

export type HttpMetrics = ReturnType<typeof httpMetrics>;
export type AuthMetrics = ReturnType<typeof authMetrics>;

/** A metrics setup: its registry, the enabled groups and their collectors. */
export class Metrics {
  readonly enabled: boolean;
  readonly groups: ReadonlySet<MetricGroup>;
  readonly prefix: string;
  readonly apiPrefix: string;
  readonly registry: Registry;
  readonly http: HttpMetrics;
  /** Undefined unless the `auth` group is enabled. */
  readonly auth: AuthMetrics | undefined;

  constructor(options: MetricsOptions) {
    this.enabled = options.enabled;
    this.groups = options.enabled ? resolveGroups(options.groups) : new Set();
    this.apiPrefix = options.apiPrefix ?? '';
    this.prefix = normalizePrefix(this.apiPrefix);
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    const groups = new Set(this.groups);
    this.http = httpMetrics(this.prefix, registers, groups);
    this.auth = groups.has('auth') ? authMetrics(this.prefix, registers) : undefined;
  }

  /** True when any HTTP collector exists (the middleware does nothing otherwise). */
  get recordsHttp(): boolean {
    const h = this.http;
    return Boolean(h.requests || h.duration || h.errors || h.statuses);
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/**
 * Build the metrics of one service (Python `setup`): from options, or from settings
 * (`{ settings }`: METRICS_ENABLED, METRICS_GROUPS default `all`, API_PREFIX default "").
 * The one way to make metrics; pass the result to every helper (there is no global default).
 */
export function setupMetrics(
  options: MetricsOptions | { settings: MetricsSettings; registry?: Registry | undefined },
): Metrics {
  if ('settings' in options) {
    const { settings, registry } = options;
    return new Metrics({
      enabled: settings.METRICS_ENABLED,
      groups: settings.METRICS_GROUPS ?? 'all',
      apiPrefix: settings.API_PREFIX ?? '',
      registry,
    });
  }
  return new Metrics(options);
}

/** Checks that a helper was given a setup (a JavaScript caller may pass nothing). */
export function requireMetrics(metrics: Metrics): Metrics {
  if (!(metrics instanceof Metrics)) {
    throw new ConfigurationError(
      'Pass the result of setupMetrics({ enabled, groups, apiPrefix }) to the metrics helpers.',
    );
  }
  return metrics;
}
