/**
 * Opens the stores `AUTH_STORE` selects (memory | redis | postgres | mysql), reached through
 * the REDIS_* and DB_* variables with local defaults: revocation, refresh rotation, sessions
 * and the refresh rate limit, all on the same backend. Each store takes a client or pool
 * made here, and `close()` ends exactly those.
 * `AUTH_DB_MIGRATE=false` skips `migrate()` for a service running as a DML-only database role.
 * `REDIS_CLIENT_CACHE=true` (with AUTH_STORE=redis) answers revocation checks in the process,
 * kept exact by Redis's client tracking; `false` or unset asks Redis on every request.
 */
import {
  ConfigurationError,
  type AuthSettings,
  type Logger,
  type RateLimitStore,
  type RefreshTokenStore,
  type RevocationStore,
  type SessionStore,
} from 'auth-sdk-m8';
import {
  MemoryRateLimitStore,
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from 'auth-sdk-m8/stores/memory';

export type StoreKind = 'memory' | 'redis' | 'postgres' | 'mysql';
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'redis', 'postgres', 'mysql'];

export interface OpenedStores {
  kind: StoreKind;
  revocationStore: RevocationStore;
  refreshStore: RefreshTokenStore;
  sessionStore: SessionStore;
  rateLimitStore: RateLimitStore;
  /** e.g. `redis 127.0.0.1:6379` — for the start line (never a password). */
  description: string;
  close(): Promise<void>;
}

export function parseStoreKind(value: string | undefined): StoreKind {
  const kind = (value ?? 'memory').trim().toLowerCase();
  if (!(STORE_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigurationError(
      `AUTH_STORE must be one of ${STORE_KINDS.join(', ')} (got "${value}").`,
    );
  }
  return kind as StoreKind;
}

export async function openStores(
  kind: StoreKind,
  settings: AuthSettings,
  env: Record<string, string | undefined>,
  logger?: Logger,
): Promise<OpenedStores> {
  switch (kind) {
    case 'memory':
      return {
        kind,
        revocationStore: new MemoryRevocationStore(),
        refreshStore: new MemoryRefreshTokenStore(),
        sessionStore: new MemorySessionStore(),
        rateLimitStore: new MemoryRateLimitStore(),
        description: 'memory (lost on restart)',
        close: async () => undefined,
      };
    case 'redis':
      return openRedis(settings, env);
    case 'postgres':
      return openPostgres(env, logger);
    case 'mysql':
      return openMysql(env, logger);
  }
}

/** `REDIS_CLIENT_CACHE`: true or false (any case); unset is false. */
export function parseClientCache(value: string | undefined): boolean {
  const text = (value ?? 'false').trim().toLowerCase();
  if (text !== 'true' && text !== 'false') {
    throw new ConfigurationError(`REDIS_CLIENT_CACHE must be true or false (got "${value}").`);
  }
  return text === 'true';
}

async function openRedis(
  settings: AuthSettings,
  env: Record<string, string | undefined>,
): Promise<OpenedStores> {
  const {
    createRedisClient,
    RedisRateLimitStore,
    RedisRefreshTokenStore,
    RedisRevocationStore,
    RedisSessionStore,
  } = await import('auth-sdk-m8/stores/redis');
  const host = settings.REDIS_HOST ?? '127.0.0.1';
  const port = settings.REDIS_PORT ?? 6379;
  const clientCache = parseClientCache(env.REDIS_CLIENT_CACHE);
  const client = createRedisClient({
    REDIS_HOST: host,
    REDIS_PORT: port,
    REDIS_USER: settings.REDIS_USER,
    REDIS_PASSWORD: settings.REDIS_PASSWORD,
    REDIS_SSL: settings.REDIS_SSL,
    // RESP3 with client tracking: a checked token costs no command until its key is written.
    clientCache: clientCache ? {} : undefined,
  });
  // Refuse to start rather than run on a store that is not there.
  try {
    // node-redis keeps retrying inside connect() while Redis is down: bound the wait.
    const connecting = client.connect();
    connecting.catch(() => undefined); // settles after destroy(); nobody waits for it then
    await withDeadline(connecting, 3000, 'no answer within 3 s');
  } catch (err) {
    client.destroy(); // stop its reconnect loop
    throw new ConfigurationError(
      `AUTH_STORE=redis but Redis at ${host}:${port} cannot be reached (${err instanceof Error ? err.message : String(err)}).`,
    );
  }
  // The refresh store advances the sessions in its rotation script: one command per refresh.
  const sessionStore = new RedisSessionStore({ client });
  return {
    kind: 'redis',
    revocationStore: new RedisRevocationStore({ client }),
    refreshStore: new RedisRefreshTokenStore({ client, sessions: sessionStore }),
    sessionStore,
    rateLimitStore: new RedisRateLimitStore({ client }),
    description: `redis ${host}:${port}${clientCache ? ' (revocation checks cached, kept exact by client tracking)' : ''}`,
    close: async () => {
      await client.close();
    },
  };
}

async function openPostgres(
  env: Record<string, string | undefined>,
  logger: Logger | undefined,
): Promise<OpenedStores> {
  const {
    createPgPool,
    PostgresRateLimitStore,
    PostgresRefreshTokenStore,
    PostgresRevocationStore,
    PostgresSessionStore,
  } = await import('auth-sdk-m8/stores/postgres');
  const db = databaseSettings(env, 5432, 'postgres');
  // An 'error' listener on the pool: a connection the server drops must not end the process.
  const pool = await createPgPool({ ...db, driver: { max: 10 }, logger });
  // The refresh store advances the sessions in its rotation: one transaction per refresh.
  const sessionStore = new PostgresSessionStore({ pool });
  const refreshStore = new PostgresRefreshTokenStore({ pool, sessions: sessionStore });
  await prepareTables(refreshStore, env, 'postgres', () => pool.end());
  return {
    kind: 'postgres',
    revocationStore: new PostgresRevocationStore({ pool }),
    refreshStore,
    sessionStore,
    rateLimitStore: new PostgresRateLimitStore({ pool }),
    description: `postgres ${db.DB_HOST}:${db.DB_PORT}/${db.DB_DATABASE}`,
    close: () => pool.end(),
  };
}

async function openMysql(
  env: Record<string, string | undefined>,
  logger: Logger | undefined,
): Promise<OpenedStores> {
  const {
    createMysqlPool,
    MysqlRateLimitStore,
    MysqlRefreshTokenStore,
    MysqlRevocationStore,
    MysqlSessionStore,
  } = await import('auth-sdk-m8/stores/mysql');
  const db = databaseSettings(env, 3306, 'root');
  // An 'error' listener on every connection: one the server drops must not end the process.
  const pool = await createMysqlPool({ ...db, driver: { connectionLimit: 10 }, logger });
  const sessionStore = new MysqlSessionStore({ pool });
  const refreshStore = new MysqlRefreshTokenStore({ pool, sessions: sessionStore });
  await prepareTables(refreshStore, env, 'mysql', () => pool.end());
  return {
    kind: 'mysql',
    revocationStore: new MysqlRevocationStore({ pool }),
    refreshStore,
    sessionStore,
    rateLimitStore: new MysqlRateLimitStore({ pool }),
    description: `mysql ${db.DB_HOST}:${db.DB_PORT}/${db.DB_DATABASE}`,
    close: () => pool.end(),
  };
}

/** The DB_* variables, with local defaults. */
function databaseSettings(env: Record<string, string | undefined>, port: number, user: string) {
  return {
    DB_HOST: env.DB_HOST ?? '127.0.0.1',
    DB_PORT: Number(env.DB_PORT ?? port),
    DB_DATABASE: env.DB_DATABASE ?? 'test',
    DB_USER: env.DB_USER ?? user,
    DB_PASSWORD: env.DB_PASSWORD ?? '',
  };
}

/**
 * `migrate()` creates every table of the SQL stores (one call covers all three). With
 * AUTH_DB_MIGRATE=false the tables must exist already (created by their owner from
 * stores/sql/migrations/*.sql): a missing one refuses the start, naming it.
 */
async function prepareTables(
  store: { migrate(): Promise<void>; isValid(jti: string, userId: string): Promise<boolean> },
  env: Record<string, string | undefined>,
  kind: 'postgres' | 'mysql',
  close: () => Promise<void>,
): Promise<void> {
  const migrate = (env.AUTH_DB_MIGRATE ?? 'true').trim().toLowerCase() !== 'false';
  try {
    if (migrate) await store.migrate();
    else await store.isValid('start-up-probe', 'start-up-probe');
  } catch (err) {
    await close().catch(() => undefined);
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigurationError(
      migrate
        ? `AUTH_STORE=${kind}: creating the tables failed (${why}). Create them from stores/sql/migrations/${kind}.sql and set AUTH_DB_MIGRATE=false to run without DDL rights.`
        : `AUTH_STORE=${kind} with AUTH_DB_MIGRATE=false: the tables are not usable (${why}). Create them from stores/sql/migrations/${kind}.sql.`,
    );
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
