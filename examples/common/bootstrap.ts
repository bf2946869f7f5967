/**
 * Builds the example service from an environment: dev defaults for what is unset, settings
 * through the package's `loadSettings`, `checkConfigHealth`, the selected stores, the issuer,
 * both policies and the refresh rate limiter. Throws `ConfigurationError` (with plain-words
 * findings) when the configuration is unusable; `server.ts` prints it and exits non-zero.
 */
import {
  ConfigurationError,
  LoginRateLimiter,
  RefreshRateLimiter,
  RefreshTokenPolicy,
  TokenIssuer,
  TokenPolicy,
  checkConfigHealth,
  effectiveFailureMode,
  findDotenv,
  loadSettings,
  readDotenv,
  type AuthSettings,
  type Logger,
  type SessionStore,
  type ValidationHooks,
} from 'auth-sdk-m8';
import type * as MetricsModule from 'auth-sdk-m8/metrics';
import { applyDevDefaults } from './dev-defaults';
import { openStores, parseStoreKind } from './stores';
import type { OpenedStores } from './stores';
import { DemoUserDirectory } from './users';

/** The example's framework-free services: every example app (Express, Fastify, Nest, …) mounts these. */
export interface ExampleServices {
  settings: AuthSettings;
  issuer: TokenIssuer;
  policy: TokenPolicy;
  refreshPolicy: RefreshTokenPolicy;
  sessions: SessionStore;
  rateLimit: RefreshRateLimiter;
  loginRateLimit: LoginRateLimiter;
  users: DemoUserDirectory;
  logger: Logger;
  hooks?: ValidationHooks | undefined;
  /** Present when METRICS_ENABLED=true: the metrics set-up and the module that serves it. */
  metrics?: LoadedMetrics | undefined;
}

export interface LoadedMetrics {
  module: typeof MetricsModule;
  setup: MetricsModule.Metrics;
  hooks: ValidationHooks;
}

export interface Bootstrapped {
  services: ExampleServices;
  stores: OpenedStores;
  /** The one start line: algorithm, token mode, stores (the URL is added by the server). */
  summary: string;
  /** Dev defaults that were applied (logged at start). */
  notes: string[];
  close(): Promise<void>;
}

export async function bootstrap(
  sourceEnv: Record<string, string | undefined>,
  logger: Logger,
): Promise<Bootstrapped> {
  // The process env wins over `.env` (as loadSettings does when it reads the file itself).
  const dotenvFile = findDotenv();
  const fromFile = dotenvFile ? readDotenv(dotenvFile, sourceEnv) : {};
  const defaults = applyDevDefaults({ ...fromFile, ...sourceEnv });
  const env = defaults.env;
  let stores: OpenedStores | undefined;
  try {
    const kind = parseStoreKind(env.AUTH_STORE);
    const settings: AuthSettings = loadSettings({ env });
    // Every AUTH_STORE (memory included) wires a store, so stateful mode is satisfied.
    checkConfigHealth(settings, logger, { hasStore: true });

    const metrics = await loadMetrics(settings);
    const hooks = metrics?.hooks;
    stores = await openStores(kind, settings, env, logger);

    const issuer = TokenIssuer.fromSettings(settings);
    // Failure modes, TOKEN_MODE and keys all come from the settings.
    const policy = TokenPolicy.fromSettings(settings, {
      revocationStore: stores.revocationStore,
      hooks,
      logger,
    });
    const refreshPolicy = RefreshTokenPolicy.fromSettings(settings, {
      store: stores.refreshStore,
      hooks,
      logger,
    });
    // The Python names (REFRESH_RATE_LIMIT_REQUESTS per REFRESH_RATE_LIMIT_WINDOW_MINUTES); the
    // example's earlier names still win when set (REFRESH_RATE_LIMIT_MAX, _WINDOW_SECONDS).
    const window = positiveInt(
      env,
      'REFRESH_RATE_LIMIT_WINDOW_SECONDS',
      settings.REFRESH_RATE_LIMIT_WINDOW_MINUTES * 60,
    );
    const rateLimit = new RefreshRateLimiter({
      store: stores.rateLimitStore,
      perFamily: {
        max: positiveInt(env, 'REFRESH_RATE_LIMIT_MAX', settings.REFRESH_RATE_LIMIT_REQUESTS),
        windowSeconds: window,
      },
      perIp: { max: positiveInt(env, 'REFRESH_RATE_LIMIT_IP_MAX', 60), windowSeconds: 60 },
      failureMode: effectiveFailureMode(settings, 'rate_limit'),
      hooks,
      logger,
    });
    // LOGIN_RATE_LIMIT_REQUESTS failed logins per LOGIN_RATE_LIMIT_WINDOW_MINUTES per account.
    const loginRateLimit = LoginRateLimiter.fromSettings(settings, {
      store: stores.rateLimitStore,
      hooks,
      logger,
    });
    const users = await DemoUserDirectory.create(env.DEMO_PASSWORD || 'demo-password');
    const opened = stores;
    return {
      services: {
        settings,
        issuer,
        policy,
        refreshPolicy,
        sessions: opened.sessionStore,
        rateLimit,
        loginRateLimit,
        users,
        logger,
        hooks,
        metrics,
      },
      stores: opened,
      summary:
        `algorithm ${settings.ACCESS_TOKEN_ALGORITHM}, token mode ${settings.TOKEN_MODE}, ` +
        `stores ${opened.description}${metrics ? ', metrics on' : ''}`,
      notes: defaults.notes,
      close: async () => {
        await opened.close();
        defaults.cleanup();
      },
    };
  } catch (err) {
    await stores?.close().catch(() => undefined);
    defaults.cleanup();
    throw err;
  }
}

/** A whole number ≥ 1 from the environment, or the default when unset. */
function positiveInt(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`${name} must be a whole number of at least 1 (got "${raw}").`);
  }
  return value;
}

/** The metrics module is optional (prom-client is an optional peer): load it only when enabled. */
async function loadMetrics(settings: AuthSettings): Promise<LoadedMetrics | undefined> {
  if (!settings.METRICS_ENABLED) return undefined;
  const metrics = await import('auth-sdk-m8/metrics');
  const setup = metrics.setupMetrics({ settings });
  return { module: metrics, setup, hooks: metrics.metricsHooks(setup) };
}
