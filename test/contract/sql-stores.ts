/**
 * The store contracts on a real SQL server, shared by `postgres.test.ts` and `mysql.test.ts`:
 * the four interface suites plus what only SQL stores have (pool starvation under a rotation
 * race, purgeExpired, migrate() on tables of the previous release, the shipped schema file,
 * driver errors that say why).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StoreUnavailableError } from '../../lib/core/errors';
import { describeWithService, type ServiceName } from '../helpers/services';
import { expiryFirst, suiteStore, waitPast } from './contract-helpers';
import { dropStatements } from '../helpers/sql-cleanup';
import { describeRefreshTokenStore } from './refresh-token-store.contract';
import { describeRevocationStore } from './revocation-store.contract';
import { describeSessionStore } from './session-store.contract';
import type {
  RateLimitStore,
  RefreshTokenStore,
  RevocationStore,
  SessionStore,
} from '../../lib/security/store-contracts';
import { describeRateLimitStore } from './rate-limit-store.contract';

interface StoreOptions<Pool> {
  pool: Pool;
  tablePrefix?: string | undefined;
  clock?: (() => number) | undefined;
}

interface SqlExtras {
  migrate(): Promise<void>;
  purgeExpired(): Promise<number>;
}

/** One database: how to open a pool, the store classes bound to its dialect, its schema. */
export interface SqlBackend<
  Pool,
  Sessions extends SessionStore & SqlExtras = SessionStore & SqlExtras,
> {
  service: ServiceName & ('postgres' | 'mysql');
  title: string;
  openPool(size: number): Pool;
  /** A pool whose connections are refused (port 1), with a short connect timeout. */
  unreachablePool(): Pool;
  query(pool: Pool, sql: string): Promise<unknown>;
  closePool(pool: Pool): Promise<void>;
  Revocation: new (options: StoreOptions<Pool>) => RevocationStore & SqlExtras;
  Refresh: new (
    options: StoreOptions<Pool> & { sessions?: Sessions },
  ) => RefreshTokenStore & SqlExtras;
  Sessions: new (options: StoreOptions<Pool>) => Sessions;
  RateLimit: new (options: StoreOptions<Pool>) => RateLimitStore & SqlExtras;
  schema(): string[];
  /** The columns of the refresh table as 0.1 created it (before the grace columns). */
  legacyRefreshTable(name: string): string;
}

function tablePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;
}

export function describeSqlStores<Pool, Sessions extends SessionStore & SqlExtras>(
  backend: SqlBackend<Pool, Sessions>,
): void {
  async function setup<S extends { migrate(): Promise<void> }>(
    make: (options: StoreOptions<Pool>) => S,
    tag: string,
    options: { poolSize?: number; clock?: () => number } = {},
  ): Promise<{ store: S; cleanup: () => Promise<void> }> {
    const pool = backend.openPool(options.poolSize ?? 25);
    const prefix = tablePrefix(tag);
    const store = make({ pool, tablePrefix: prefix, clock: options.clock });
    await store.migrate();
    await store.migrate(); // idempotent
    return {
      store,
      cleanup: async () => {
        for (const statement of dropStatements(backend.service, prefix)) {
          await backend.query(pool, statement);
        }
        await backend.closePool(pool);
      },
    };
  }

  describeWithService(backend.service, backend.title, () => {
    // Expiry is on the server's clock (`expires_at` against its `now()`, windows too): every
    // suite writes its expiring rows up front, so their 1-2 s run out together while the other
    // tests run. The refresh suites, the longest, come first: by the other expiry checks, little
    // of the TTLs is left.
    const expiry = expiryFirst();
    const onServerTime = <T>(handle: T): T & { time: 'server' } => ({ ...handle, time: 'server' });
    describeRefreshTokenStore(
      backend.service,
      async () => onServerTime(await setup((o) => new backend.Refresh(o), 'rt')),
      { expiryFirst: expiry },
    );
    // Linked to its session store, as the auth flows use it: the same contract holds.
    describeRefreshTokenStore(
      `${backend.service} with sessions`,
      async () =>
        onServerTime(
          await setup(
            (o) => new backend.Refresh({ ...o, sessions: new backend.Sessions(o) }),
            'rts',
          ),
        ),
      { expiryFirst: expiry },
    );
    describeRevocationStore(
      backend.service,
      async () => onServerTime(await setup((o) => new backend.Revocation(o), 'rv')),
      { expiryFirst: expiry },
    );
    describeSessionStore(backend.service, (clock) =>
      setup((o) => new backend.Sessions(o), 'ss', { clock: clock.now }),
    );
    describeRateLimitStore(
      backend.service,
      async () => onServerTime(await setup((o) => new backend.RateLimit(o), 'rl')),
      { expiryFirst: expiry },
    );

    // purgeExpired counts every expired row of its table: each purge test has tables of its
    // own, its 1 s rows written up front with the suites' expiring entries.
    const purgeRevocations = suiteStore(
      () => setup((o) => new backend.Revocation(o), 'purge'),
      async ({ store }) => {
        await store.revoke('short', 1);
        await store.revoke('long', 3600);
        return { since: Date.now() };
      },
      expiry,
    );
    const purgeRefresh = suiteStore(
      () => setup((o) => new backend.Refresh(o), 'rpurge'),
      async ({ store }) => {
        await store.register('short', { userId: 'u', familyId: 'f', ttlSeconds: 1 });
        await store.register('long', { userId: 'u', familyId: 'f', ttlSeconds: 3600 });
        return { since: Date.now() };
      },
      expiry,
    );

    it('settles a 20-way rotation race on a pool of 2 connections (losers do not starve the pool)', async () => {
      const { store, cleanup } = await setup((o) => new backend.Refresh(o), 'small', {
        poolSize: 2,
      });
      try {
        await store.register('old', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.rotate('old', `new-${i}`, 60, { userId: 'u' }),
          ),
        );
        expect(results.filter((r) => r.status === 'rotated')).toHaveLength(1);
        expect(results.filter((r) => r.status === 'reused')).toHaveLength(19);
      } finally {
        await cleanup();
      }
    });

    it('purges expired rows and ignores them before that', async () => {
      const { store } = await purgeRevocations.open();
      try {
        const { since } = await purgeRevocations.arranged();
        await waitPast(since, 1000);
        await expect(store.isRevoked('short')).resolves.toBe(false);
        await expect(store.purgeExpired()).resolves.toBe(1);
        await expect(store.isRevoked('long')).resolves.toBe(true);
      } finally {
        await purgeRevocations.close();
      }
    });

    it('purges expired refresh rows and ignores them before that', async () => {
      const { store } = await purgeRefresh.open();
      try {
        const { since } = await purgeRefresh.arranged();
        await waitPast(since, 1000);
        await expect(store.isValid('short', 'u')).resolves.toBe(false);
        await expect(store.purgeExpired()).resolves.toBe(1);
        await expect(store.isValid('long', 'u')).resolves.toBe(true);
      } finally {
        await purgeRefresh.close();
      }
    });

    it('migrate() adds the grace columns to a refresh table of the previous release', async () => {
      const pool = backend.openPool(2);
      const prefix = tablePrefix('legacy');
      try {
        await backend.query(pool, backend.legacyRefreshTable(`${prefix}refresh_tokens`));
        const store = new backend.Refresh({ pool, tablePrefix: prefix });
        await store.migrate();
        await store.register('a', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
        await expect(
          store.rotate('a', 'b', 60, { userId: 'u', graceSeconds: 10, nowSeconds: 100 }),
        ).resolves.toMatchObject({ status: 'rotated' });
        await expect(
          store.rotate('a', 'c', 60, { userId: 'u', graceSeconds: 10, nowSeconds: 101 }),
        ).resolves.toMatchObject({ status: 'replayed', jti: 'b' });
      } finally {
        for (const statement of dropStatements(backend.service, prefix)) {
          await backend.query(pool, statement);
        }
        await backend.closePool(pool);
      }
    });

    it('migrate() adds issued_at: a row of the previous release is listed with issuedAt undefined', async () => {
      const pool = backend.openPool(2);
      const prefix = tablePrefix('issued');
      const table = `${prefix}refresh_tokens`;
      const inAMinute =
        backend.service === 'postgres'
          ? "now() + interval '60 seconds'"
          : 'NOW(3) + INTERVAL 60 SECOND';
      const at = 1_900_000_000;
      try {
        await backend.query(pool, backend.legacyRefreshTable(table));
        await backend.query(
          pool,
          `INSERT INTO ${table} (jti, user_id, family_id, state, expires_at) VALUES ('old', 'u', 'f', 'active', ${inAMinute})`,
        );
        const store = new backend.Refresh({ pool, tablePrefix: prefix });
        await store.migrate();
        await store.register('new', { userId: 'u', familyId: 'f', ttlSeconds: 60, issuedAt: at });
        await expect(
          store.rotate('old', 'old-next', 60, { userId: 'u', nowSeconds: at + 100 }),
        ).resolves.toMatchObject({ status: 'rotated', issuedAt: at + 100 });
        const listed = await store.revokeFamily('f', 'u', { issuedSince: at + 50 });
        expect(listed.sort((a, b) => a.jti.localeCompare(b.jti))).toEqual([
          { jti: 'old', issuedAt: undefined },
          { jti: 'old-next', issuedAt: at + 100 },
        ]);
        await expect(store.rotate('old', 'x', 60, { userId: 'u' })).resolves.toEqual({
          status: 'revoked',
          userId: 'u',
          familyId: 'f',
        });
      } finally {
        for (const statement of dropStatements(backend.service, prefix)) {
          await backend.query(pool, statement);
        }
        await backend.closePool(pool);
      }
    });

    it('refuses a table prefix that is not a plain identifier', () => {
      expect(
        () =>
          new backend.Revocation({
            pool: undefined as unknown as Pool,
            tablePrefix: 'x; DROP TABLE users;--',
          }),
      ).toThrow(/tablePrefix/);
    });

    it(`ships its schema as stores/sql/migrations/${backend.service}.sql, in step with migrate()`, () => {
      const shipped = fs.readFileSync(
        path.join(__dirname, `../../stores/sql/migrations/${backend.service}.sql`),
        'utf8',
      );
      for (const statement of backend.schema()) expect(shipped).toContain(statement);
    });

    it('answers StoreUnavailableError naming the driver reason when the server is unreachable', async () => {
      const pool = backend.unreachablePool();
      try {
        const failure = (await new backend.Revocation({ pool })
          .isRevoked('x')
          .catch((e: unknown) => e)) as StoreUnavailableError;
        expect(failure).toMatchObject({
          name: 'StoreUnavailableError',
          status: 503,
          store: backend.service,
        });
        expect(failure.message).toMatch(
          new RegExp(`^The ${backend.service} store is unavailable: .*ECONNREFUSED`),
        );
      } finally {
        await backend.closePool(pool);
      }
    });
  });
}
