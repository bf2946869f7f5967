/**
 * Builds the example service from an environment: dev defaults for what is unset, settings
 * through the package's `loadSettings`, `checkConfigHealth`, the selected stores, the issuer
 * and both policies. Throws `ConfigurationError` (with plain-words findings) when the
 * configuration is unusable; `server.ts` prints it and exits non-zero.
 */
import type { RequestHandler } from 'express';
import { checkConfigHealth } from '../../lib/core/settings/health';
import { findDotenv, readDotenv } from '../../lib/core/settings/dotenv';
import { loadSettings } from '../../lib/core/settings/load';
import type { AuthSettings } from '../../lib/core/settings/types';
import type { Logger } from '../../lib/core/types';
import { RefreshTokenPolicy } from '../../lib/security/refresh-token-policy';
import { TokenIssuer } from '../../lib/security/token-issuer';
import { TokenPolicy } from '../../lib/security/token-policy';
import type { ValidationHooks } from '../../lib/security/types';
import type { ExampleServices } from './app';
import { applyDevDefaults } from './dev-defaults';
import { openStores, parseStoreKind } from './stores';
import type { OpenedStores } from './stores';
import { DemoUserDirectory } from './users';

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
  const fromFile = dotenvFile ? readDotenv(dotenvFile) : {};
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
    stores = await openStores(kind, settings, env);

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
    const users = await DemoUserDirectory.create(env.DEMO_PASSWORD || 'demo-password');
    const opened = stores;
    return {
      services: {
        settings,
        issuer,
        policy,
        refreshPolicy,
        users,
        logger,
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

interface LoadedMetrics {
  middleware: RequestHandler;
  router: RequestHandler;
  hooks: ValidationHooks;
  recordLogin(result: 'success' | 'wrong_credentials' | 'inactive_user'): void;
  recordLogout(): void;
}

/** The metrics module is optional (prom-client is an optional peer): load it only when enabled. */
async function loadMetrics(settings: AuthSettings): Promise<LoadedMetrics | undefined> {
  if (!settings.METRICS_ENABLED) return undefined;
  const metrics = await import('../../lib/metrics');
  const setup = metrics.setupMetrics({ settings });
  return {
    middleware: metrics.metricsMiddleware(setup) as RequestHandler,
    // Fixed at GET /metrics: the example's routes carry no API_PREFIX.
    router: metrics.metricsRouter(setup, { path: '/metrics' }) as RequestHandler,
    hooks: metrics.metricsHooks(setup),
    recordLogin: (result) => metrics.recordLoginAttempt(setup, result),
    recordLogout: () => metrics.recordLogout(setup),
  };
}
