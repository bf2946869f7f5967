/** The shared store contracts on the machine's PostgreSQL (CI fails if it is unreachable). */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { postgresSchema } from '../../stores/sql/postgres/schema';
import {
  PostgresRefreshTokenStore,
  PostgresRevocationStore,
} from '../../stores/sql/postgres/stores';
import { describeWithService, services } from '../helpers/services';
import { describeRefreshTokenStore } from './refresh-token-store.contract';
import { describeRevocationStore } from './revocation-store.contract';

function tablePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;
}

async function setup<S extends { migrate(): Promise<void> }>(
  make: (pool: pg.Pool, prefix: string) => S,
  tag: string,
  poolSize = 25,
): Promise<{ store: S; cleanup: () => Promise<void> }> {
  const pool = new pg.Pool({ ...services.postgres, max: poolSize });
  const prefix = tablePrefix(tag);
  const store = make(pool, prefix);
  await store.migrate();
  await store.migrate(); // idempotent
  return {
    store,
    cleanup: async () => {
      await pool.query(`DROP TABLE IF EXISTS ${prefix}revoked_tokens, ${prefix}refresh_tokens`);
      await pool.end();
    },
  };
}

describeWithService('postgres', 'PostgreSQL stores', () => {
  describeRevocationStore('postgres', () =>
    setup((pool, tablePrefix) => new PostgresRevocationStore({ pool, tablePrefix }), 'rv'),
  );
  describeRefreshTokenStore('postgres', () =>
    setup((pool, tablePrefix) => new PostgresRefreshTokenStore({ pool, tablePrefix }), 'rt'),
  );

  it('settles a 20-way rotation race on a pool of 2 connections (losers do not starve the pool)', async () => {
    const { store, cleanup } = await setup(
      (pool, tablePrefix) => new PostgresRefreshTokenStore({ pool, tablePrefix, timeoutMs: 5000 }),
      'small',
      2,
    );
    try {
      await store.register('old', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.rotate('old', `new-${i}`, 60)),
      );
      expect(results.filter((r) => r.status === 'rotated')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'reused')).toHaveLength(19);
    } finally {
      await cleanup();
    }
  });

  it('purges expired rows and ignores them before that', async () => {
    const { store, cleanup } = await setup(
      (pool, tablePrefix) => new PostgresRevocationStore({ pool, tablePrefix }),
      'purge',
    );
    try {
      await store.revoke('short', 1);
      await store.revoke('long', 60);
      await new Promise((r) => setTimeout(r, 1100));
      await expect(store.isRevoked('short')).resolves.toBe(false);
      await expect(store.purgeExpired()).resolves.toBe(1);
      await expect(store.isRevoked('long')).resolves.toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('refuses a table prefix that is not a plain identifier', () => {
    expect(
      () =>
        new PostgresRevocationStore({ pool: new pg.Pool(), tablePrefix: 'x; DROP TABLE users;--' }),
    ).toThrow(/tablePrefix/);
  });

  it('ships its schema as stores/sql/migrations/postgres.sql, in step with migrate()', () => {
    const shipped = fs.readFileSync(
      path.join(__dirname, '../../stores/sql/migrations/postgres.sql'),
      'utf8',
    );
    for (const statement of postgresSchema()) expect(shipped).toContain(statement);
  });

  it('answers StoreUnavailableError (not a raw pg error) when the server is unreachable', async () => {
    const pool = new pg.Pool({ ...services.postgres, port: 1, connectionTimeoutMillis: 500 });
    try {
      await expect(new PostgresRevocationStore({ pool }).isRevoked('x')).rejects.toMatchObject({
        name: 'StoreUnavailableError',
        status: 503,
        store: 'postgres',
      });
    } finally {
      await pool.end();
    }
  });
});
