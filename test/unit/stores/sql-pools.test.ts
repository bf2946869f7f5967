/**
 * `createPgPool` / `createMysqlPool`: what the real driver ends up configured with (the
 * settings' DB_* names, the driver's own options over them, the connect timeout), and the
 * error listeners they add. No server needed: a pool connects on first use. What a dropped
 * connection does to a service on these pools (and mysql2's connection listener, which only
 * a real dropped connection shows) is `example-db-cut.test.ts`.
 */
import { SecretValue } from '../../../lib/core/settings/secret';
import { createMysqlPool } from '../../../stores/sql/mysql';
import { createPgPool } from '../../../stores/sql/postgres';

const settings = {
  DB_HOST: 'db.internal',
  DB_PORT: 6543,
  DB_DATABASE: 'app',
  DB_USER: 'svc',
  DB_PASSWORD: new SecretValue('s3cret-Pa55'),
};

describe('createPgPool', () => {
  it('takes the DB_* settings, a 2 s connect timeout and an error listener on the pool', async () => {
    const pool = await createPgPool(settings);
    try {
      expect(pool.options).toMatchObject({
        host: 'db.internal',
        port: 6543,
        database: 'app',
        user: 'svc',
        password: 's3cret-Pa55',
        connectionTimeoutMillis: 2000,
      });
      expect(pool.listenerCount('error')).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('lets the driver options win over DB_*, and an undefined field erase nothing', async () => {
    const warnings: string[] = [];
    const pool = await createPgPool({
      ...settings,
      DB_USER: undefined,
      driver: { host: 'other', max: 3, connectionTimeoutMillis: 500 },
      logger: { warn: (m) => warnings.push(m), error: () => undefined },
    });
    try {
      expect(pool.options).toMatchObject({ host: 'other', port: 6543, max: 3 });
      expect(pool.options).not.toHaveProperty('user');
      expect(pool.options.connectionTimeoutMillis).toBe(500);
      // An idle client's error reaches the listener: logged once per 10 s, never thrown.
      pool.emit('error', new Error('terminating connection'), undefined as never);
      pool.emit('error', new Error('terminating connection'), undefined as never);
      expect(warnings).toEqual([
        'auth-sdk-m8: PostgreSQL connection error: terminating connection',
      ]);
    } finally {
      await pool.end();
    }
  });
});

describe('createMysqlPool', () => {
  it('takes the DB_* settings and a 2 s connect timeout; driver options win', async () => {
    const pool = await createMysqlPool({ ...settings, driver: { connectionLimit: 3 } });
    try {
      const config = (pool.pool as unknown as { config: Record<string, any> }).config;
      expect(config.connectionLimit).toBe(3);
      expect(config.connectionConfig).toMatchObject({
        host: 'db.internal',
        port: 6543,
        database: 'app',
        user: 'svc',
        password: 's3cret-Pa55',
        connectTimeout: 2000,
      });
    } finally {
      await pool.end();
    }
  });
});
