/**
 * The example service as a DML-only database role (issue: SQL stores must not need DDL rights
 * at run time): the tables are created by their owner (here through migrate() as the
 * superuser), the service connects as a role that may only read and write rows and starts
 * with AUTH_DB_MIGRATE=false. With migrate() left on, the same role is refused at start in
 * plain words that name the fix and the driver's reason.
 */
import pg from 'pg';
import request from 'supertest';
import { PostgresRefreshTokenStore } from '../../../stores/sql/postgres';
import { describeWithService, services } from '../../helpers/services';
import { runExpectingExit, startService } from './run-service';

jest.setTimeout(60_000);

describeWithService('postgres', 'the example service as a DML-only PostgreSQL role', () => {
  const role = `auth_dml_${process.pid}`;
  let admin: pg.Pool;

  beforeAll(async () => {
    admin = new pg.Pool({ ...services.postgres, max: 2 });
    await new PostgresRefreshTokenStore({ pool: admin }).migrate(); // the owner creates the tables
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON auth_sdk_revoked_tokens, auth_sdk_refresh_tokens, auth_sdk_sessions, auth_sdk_rate_limits TO ${role}`,
    );
  });

  afterAll(async () => {
    await admin.query(
      `REVOKE ALL ON auth_sdk_revoked_tokens, auth_sdk_refresh_tokens, auth_sdk_sessions, auth_sdk_rate_limits FROM ${role}`,
    );
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  const env = {
    AUTH_STORE: 'postgres',
    DB_HOST: services.postgres.host,
    DB_PORT: String(services.postgres.port),
    DB_DATABASE: services.postgres.database,
    DB_USER: role,
  };

  it('starts and serves login, refresh and logout with AUTH_DB_MIGRATE=false', async () => {
    const service = await startService({ ...env, AUTH_DB_MIGRATE: 'false' });
    try {
      const login = await request(service.url)
        .post('/auth/login')
        .send({ email: 'user@example.com', password: 'demo-password' });
      expect(login.status).toBe(200);
      const refreshed = await request(service.url)
        .post('/auth/refresh')
        .send({ refresh_token: login.body.refresh_token });
      expect(refreshed.status).toBe(200);
      const out = await request(service.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${refreshed.body.access_token}`)
        .send({ refresh_token: refreshed.body.refresh_token });
      expect(out.status).toBe(200);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('refuses to start when migrate() needs DDL rights it lacks, naming the fix and the reason', async () => {
    const result = await runExpectingExit(env);
    expect(result.code).not.toBe(0);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toContain('AUTH_DB_MIGRATE=false');
    expect(output).toMatch(/42501|permission denied|must be owner/);
  });
});
