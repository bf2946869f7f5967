/**
 * The SQL refresh-token stores linked to their session store (`sessions`): a rotation advances
 * the session of its family in its own atomic step. On the machine's PostgreSQL and MariaDB:
 * what the advance does in each outcome, and the commands one refresh through the auth flows
 * sends, read off the wire protocol by a relay (one entry per round trip).
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createAuthFlows, type AuthUser } from 'auth-sdk-m8';
import {
  MysqlRefreshTokenStore,
  MysqlSessionStore,
  type MysqlPoolLike,
} from 'auth-sdk-m8/stores/mysql';
import {
  PostgresRefreshTokenStore,
  PostgresSessionStore,
  type PgPoolLike,
} from 'auth-sdk-m8/stores/postgres';
import { ConfigurationError } from '../../../lib/core/errors';
import { tableNames } from '../../../stores/sql/tables';
import type {
  RefreshTokenStore,
  SessionRecord,
  SessionStore,
} from '../../../lib/security/store-contracts';
import { hsFlowParts } from '../../helpers/flow-parts';
import { advanceTo, loginWithSession, nowSeconds } from '../../helpers/linked-sessions';
import { describeWithService, services } from '../../helpers/services';
import { dropStatements } from '../../helpers/sql-cleanup';
import { SqlCommandRelay } from '../../helpers/sql-wire';

interface Linked {
  refresh: RefreshTokenStore & { migrate(): Promise<void> };
  sessions: SessionStore;
}

interface Database<Pool> {
  service: 'postgres' | 'mysql';
  open(port?: number): Pool;
  link(pool: Pool, tablePrefix: string): Linked;
  /** A refresh store given a session store on another pool (refused). */
  mislink(pool: Pool, other: Pool): () => unknown;
  drop(pool: Pool, tablePrefix: string): Promise<void>;
  end(pool: Pool): Promise<void>;
  /** The commands of one refresh, one per round trip. */
  refreshCommands: string[];
}

const postgres: Database<pg.Pool> = {
  service: 'postgres',
  open: (port) =>
    new pg.Pool({ ...services.postgres, port: port ?? services.postgres.port, max: 4 }),
  link(pool, tablePrefix) {
    const sessions = new PostgresSessionStore({ pool: pool as PgPoolLike, tablePrefix });
    return {
      sessions,
      refresh: new PostgresRefreshTokenStore({ pool: pool as PgPoolLike, tablePrefix, sessions }),
    };
  },
  mislink: (pool, other) => () =>
    new PostgresRefreshTokenStore({
      pool: pool as PgPoolLike,
      sessions: new PostgresSessionStore({ pool: other as PgPoolLike }),
    }),
  drop: async (pool, p) => {
    for (const statement of dropStatements('postgres', p)) await pool.query(statement);
  },
  end: (pool) => pool.end(),
  // BEGIN, the rotation (deciding UPDATE, successor, session: one statement) and the read of
  // the retired row for a loser, in one simple query; then COMMIT. Two round trips.
  refreshCommands: ['BEGIN+WITH+SELECT', 'COMMIT'],
};

const mariadb: Database<mysql.Pool> = {
  service: 'mysql',
  open: (port) =>
    mysql.createPool({ ...services.mysql, port: port ?? services.mysql.port, connectionLimit: 4 }),
  link(pool, tablePrefix) {
    const sessions = new MysqlSessionStore({ pool: pool as unknown as MysqlPoolLike, tablePrefix });
    return {
      sessions,
      refresh: new MysqlRefreshTokenStore({
        pool: pool as unknown as MysqlPoolLike,
        tablePrefix,
        sessions,
      }),
    };
  },
  mislink: (pool, other) => () =>
    new MysqlRefreshTokenStore({
      pool: pool as unknown as MysqlPoolLike,
      sessions: new MysqlSessionStore({ pool: other as unknown as MysqlPoolLike }),
    }),
  drop: async (pool, p) => {
    for (const statement of dropStatements('mysql', p)) await pool.query(statement);
  },
  end: (pool) => pool.end(),
  // One CALL of the rotation procedure: the deciding UPDATE, the successor, the session and
  // the answer (the winner's session, or the retired row for a loser) in one transaction.
  refreshCommands: ['CALL'],
};

const now = nowSeconds;
const advance = advanceTo;

function describeDatabase<Pool>(db: Database<Pool>): void {
  describeWithService(db.service, `${db.service}: refresh store with sessions`, () => {
    let pool: Pool;
    let stores: Linked;
    const tablePrefix = `t_rs_${process.pid}_${Math.random().toString(36).slice(2, 7)}_`;

    beforeAll(async () => {
      pool = db.open();
      stores = db.link(pool, tablePrefix);
      await stores.refresh.migrate();
    });

    afterAll(async () => {
      await db.drop(pool, tablePrefix);
      await db.end(pool);
    });

    const login = (userId: string, familyId: string, jti: string): Promise<SessionRecord> =>
      loginWithSession(stores, userId, familyId, jti);

    it('refuses a session store on another pool', async () => {
      const other = db.open();
      try {
        expect(db.mislink(pool, other)).toThrow(ConfigurationError);
      } finally {
        await db.end(other);
      }
    });

    it('a winning rotation advances the session of its family in the same step', async () => {
      const user = randomUUID();
      const family = randomUUID();
      const created = await login(user, family, `${family}-1`);
      const at = now();
      const next = `${family}-2`;
      const outcome = await stores.refresh.rotate(`${family}-1`, next, 7200, {
        userId: user,
        familyId: family,
        nowSeconds: at,
        session: advance(next, at),
      });
      const expected = { ...created, ...advance(next, at) };
      expect(outcome).toEqual({
        status: 'rotated',
        userId: user,
        familyId: family,
        issuedAt: at,
        session: expected,
      });
      await expect(stores.sessions.get(user, created.id)).resolves.toEqual(expected);
    });

    it('reports null without a live session; a replay and a reuse change none', async () => {
      const user = randomUUID();
      const family = randomUUID();
      await stores.refresh.register(`${family}-1`, {
        userId: user,
        familyId: family,
        ttlSeconds: 600,
      });
      const at = now();
      const options = (jti: string, when: number) => ({
        userId: user,
        familyId: family,
        nowSeconds: when,
        session: advance(jti, when),
        graceSeconds: 10,
      });
      await expect(
        stores.refresh.rotate(`${family}-1`, `${family}-2`, 600, options(`${family}-2`, at)),
      ).resolves.toMatchObject({ status: 'rotated', session: null });
      await expect(
        stores.refresh.rotate(`${family}-1`, `${family}-3`, 600, options(`${family}-3`, at + 1)),
      ).resolves.toEqual({
        status: 'replayed',
        userId: user,
        familyId: family,
        jti: `${family}-2`,
        issuedAt: at,
      });
      await expect(
        stores.refresh.rotate(`${family}-1`, `${family}-4`, 600, options(`${family}-4`, at + 11)),
      ).resolves.toEqual({ status: 'reused', userId: user, familyId: family });
    });

    it('advances nothing for another planned family, without an advance, or of another user', async () => {
      const user = randomUUID();
      const bob = randomUUID();
      const family = randomUUID();
      const created = await login(user, family, `${family}-a1`);
      const bobs = await login(bob, family, `${family}-b1`);
      const at = now();
      const elsewhere = await stores.refresh.rotate(`${family}-a1`, `${family}-a2`, 600, {
        userId: user,
        familyId: randomUUID(),
        nowSeconds: at,
        session: advance('x', at),
      });
      expect(elsewhere).toEqual({
        status: 'rotated',
        userId: user,
        familyId: family,
        issuedAt: at,
      });
      const plain = await stores.refresh.rotate(`${family}-a2`, `${family}-a3`, 600, {
        userId: user,
        familyId: family,
      });
      expect(plain).not.toHaveProperty('session');
      await expect(stores.sessions.get(user, created.id)).resolves.toEqual(created);
      await expect(
        stores.refresh.rotate(`${family}-a3`, `${family}-a4`, 600, {
          userId: user,
          familyId: family,
          nowSeconds: at,
          session: advance(`${family}-a4`, at),
        }),
      ).resolves.toMatchObject({ session: { userId: user, id: created.id } });
      await expect(stores.sessions.get(bob, bobs.id)).resolves.toEqual(bobs);
    });

    if (db.service === 'postgres') {
      it('reads the advanced session from a pool whose type parsers leave every value as text', async () => {
        const raw = new pg.Pool({
          ...services.postgres,
          max: 2,
          types: { getTypeParser: () => (value: string) => value },
        });
        try {
          const linked = postgres.link(raw, tablePrefix);
          const user = randomUUID();
          const family = randomUUID();
          const created = await loginWithSession(linked, user, family, `${family}-1`);
          const at = now();
          await expect(
            linked.refresh.rotate(`${family}-1`, `${family}-2`, 600, {
              userId: user,
              familyId: family,
              nowSeconds: at,
              session: advance(`${family}-2`, at),
            }),
          ).resolves.toMatchObject({
            status: 'rotated',
            session: { ...created, ...advance(`${family}-2`, at) },
          });
        } finally {
          await raw.end();
        }
      });
    }

    it('one refresh through the auth flows, command by command on the wire', async () => {
      const target = services[db.service];
      const relay = await SqlCommandRelay.start(db.service, {
        host: target.host,
        port: target.port,
      });
      const counted = db.open(relay.port);
      try {
        const linked = db.link(counted, tablePrefix);
        const user: AuthUser = { sub: randomUUID(), email: 'wire@example.com', is_active: true };
        const { issuer, policy, refreshPolicy } = hsFlowParts({ refreshStore: linked.refresh });
        const flows = createAuthFlows({
          issuer,
          refreshPolicy,
          policy,
          sessions: linked.sessions,
          findUser: () => user,
          verifyCredentials: async () => user,
        });
        const loggedIn = await flows.login({
          headers: {},
          body: { email: 'wire@example.com', password: 'x' },
        });
        const { refresh_token: token, session_id: sessionId } = loggedIn.body as {
          refresh_token: string;
          session_id: string;
        };
        let answer: { status: number; body: unknown } | undefined;
        const commands = await relay.commandsOf(async () => {
          answer = await flows.refresh({ headers: {}, body: { refresh_token: token } });
        });
        expect(answer!.status).toBe(200);
        expect(answer!.body).toMatchObject({ session_id: sessionId });
        expect(commands).toEqual(db.refreshCommands);
        const { access_token: access } = answer!.body as { access_token: string };
        const listed = await flows.listSessions({ headers: { authorization: `Bearer ${access}` } });
        expect(listed.body).toEqual([expect.objectContaining({ id: sessionId, current: true })]);
      } finally {
        await db.end(counted);
        await relay.close();
      }
    });
  });
}

describeDatabase(postgres);
describeDatabase(mariadb);

// MySQL without the rotation procedure: tables created from the shipped .sql without it, or a
// service account without EXECUTE. The first CALL fails, the store falls back to the batch
// and sends no CALL again.
describeWithService('mysql', 'mysql: rotation without the procedure', () => {
  const batch = ['START', 'UPDATE', 'INSERT', 'UPDATE', 'SELECT', 'SELECT', 'COMMIT'];
  const tablePrefix = `t_np_${process.pid}_${Math.random().toString(36).slice(2, 7)}_`;
  const dmlUser = `t_dml_${process.pid}`;
  let admin: mysql.Pool;

  beforeAll(async () => {
    admin = mariadb.open();
    await mariadb.link(admin, tablePrefix).refresh.migrate();
    await admin.query(`CREATE USER IF NOT EXISTS '${dmlUser}'@'%'`);
    await admin.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON \`${services.mysql.database}\`.* TO '${dmlUser}'@'%'`,
    );
  });

  afterAll(async () => {
    await admin.query(`DROP USER IF EXISTS '${dmlUser}'@'%'`);
    await mariadb.drop(admin, tablePrefix);
    await mariadb.end(admin);
  });

  async function rotateOverTheWire(
    user: string | undefined,
  ): Promise<{ commands: string[][]; outcomes: unknown[]; created: SessionRecord; at: number }> {
    const relay = await SqlCommandRelay.start('mysql', services.mysql);
    const pool = mysql.createPool({
      ...services.mysql,
      ...(user === undefined ? {} : { user, password: '' }),
      port: relay.port,
      connectionLimit: 1,
    });
    try {
      const { refresh, sessions } = mariadb.link(pool, tablePrefix);
      const userId = randomUUID();
      const family = randomUUID();
      const at = now();
      const created: SessionRecord = {
        id: randomUUID(),
        userId,
        provider: 'password',
        familyId: family,
        accessJti: 'access-1',
        accessExpiresAt: at + 900,
        refreshTokenHash: 'hash-1',
        refreshExpiresAt: at + 3600,
        createdAt: at - 60,
        lastUsedAt: at - 60,
      };
      await refresh.register(`${family}-1`, { userId, familyId: family, ttlSeconds: 3600 });
      await sessions.create(created);
      const rotation = (from: number, to: number) => () =>
        refresh.rotate(`${family}-${from}`, `${family}-${to}`, 600, {
          userId,
          familyId: family,
          nowSeconds: at,
          session: advance(`${family}-${to}`, at),
        });
      const commands: string[][] = [];
      const outcomes: unknown[] = [];
      for (const rotate of [rotation(1, 2), rotation(2, 3), rotation(1, 4)]) {
        commands.push(await relay.commandsOf(async () => outcomes.push(await rotate())));
      }
      return { commands, outcomes, created, at };
    } finally {
      await pool.end();
      await relay.close();
    }
  }

  function expectBatchVerdicts(run: Awaited<ReturnType<typeof rotateOverTheWire>>): void {
    const { created, at } = run;
    const { userId, familyId } = created;
    const rotated = (to: number) => ({
      status: 'rotated',
      userId,
      familyId,
      issuedAt: at,
      session: { ...created, ...advance(`${familyId}-${to}`, at) },
    });
    expect(run.outcomes).toEqual([rotated(2), rotated(3), { status: 'reused', userId, familyId }]);
  }

  it('falls back to the batch for good when the procedure is missing (1305)', async () => {
    await admin.query(`DROP PROCEDURE IF EXISTS ${tableNames(tablePrefix).rotate}`);
    try {
      const run = await rotateOverTheWire(undefined);
      expect(run.commands).toEqual([['CALL', ...batch], batch, batch]);
      expectBatchVerdicts(run);
    } finally {
      await mariadb.link(admin, tablePrefix).refresh.migrate(); // creates it again
    }
  });

  it('falls back to the batch for good for an account without EXECUTE (1370)', async () => {
    const [present] = await admin.query(
      `SELECT 1 FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_name = ?`,
      [tableNames(tablePrefix).rotate],
    );
    expect(present).toHaveLength(1);
    const run = await rotateOverTheWire(dmlUser);
    expect(run.commands).toEqual([['CALL', ...batch], batch, batch]);
    expectBatchVerdicts(run);
  });
});
