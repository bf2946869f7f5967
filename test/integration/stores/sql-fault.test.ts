/**
 * SQL outages mid-traffic, on private PostgreSQL and MariaDB servers started by this file:
 * the server crashes (SIGKILL, then restarted), hangs (SIGSTOP, then SIGCONT) or refuses new
 * connections (max_connections held by raw connections, the pool's own ones killed). Traffic
 * goes through the real stores on a real pool (pg.Pool / mysql2 pool) and the policies
 * (TokenPolicy for revocation checks, RefreshTokenPolicy for rotation). Each answer must come
 * within 3 s as its failure mode says (fail_closed → 503, fail_open → allowed), the breakers
 * must open and close, the same pool and stores must work again once the server is back, no
 * connection may be left behind (pool counts and the server's own count agree) and what was
 * committed before the outage must still be there.
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { InvalidTokenError, StoreUnavailableError } from '../../../lib/core/errors';
import type { FailureMode } from '../../../lib/core/failure-mode';
import { CircuitOpenError } from '../../../lib/core/store-errors';
import { CircuitBreaker, type BreakerState } from '../../../lib/security/circuit-breaker';
import { guardStoreCall } from '../../../lib/security/store-guard';
import { RefreshTokenPolicy } from '../../../lib/security/refresh-token-policy';
import type { RefreshTokenStore, RevocationStore } from '../../../lib/security/store-contracts';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import type { DegradedEvent } from '../../../lib/security/types';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { MysqlRefreshTokenStore, MysqlRevocationStore } from '../../../stores/sql/mysql';
import { PostgresRefreshTokenStore, PostgresRevocationStore } from '../../../stores/sql/postgres';
import { HS_SECRET, REFRESH_SECRET } from '../../helpers/keys';
import { accessClaims, mint, refreshClaims } from '../../helpers/mint-token';
import { mariadbUnavailable, PrivateMariadb } from '../../helpers/private-mariadb';
import { postgresUnavailable, PrivatePostgres } from '../../helpers/private-postgres';
import { describeWithBinaries, type ProcessGroupServer } from '../../helpers/private-server';

const POOL_SIZE = 4;
/** The guard's timeout where the test calls a store directly, as a policy would. */
const STORE_TIMEOUT_MS = 300;
const POLICY_TIMEOUT_MS = 500;
const BREAKER = { failureThreshold: 3, resetTimeoutMs: 500 };
const ANSWER_BOUND_MS = 3000;
const FAULT_MS = 2000;
const POOL_APP = 'sqlfault-pool';
const quiet = { warn: () => undefined, error: () => undefined };

interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

/** One database with its private server, the pool under test and a side door for the test. */
interface Db {
  readonly name: 'postgres' | 'mysql';
  readonly server: ProcessGroupServer;
  readonly revocation: RevocationStore;
  readonly refresh: RefreshTokenStore;
  /** What the pool itself says. */
  poolCounts(): PoolCounts;
  /** How many connections of the pool the server sees (through a separate connection). */
  serverSideConnections(): Promise<number>;
  /** The server closes every connection of the pool (as an administrator would). */
  killPoolConnections(): Promise<void>;
  /** Opens raw connections until the server refuses one; resolves once it does. */
  holdAllConnections(): Promise<{ held: number; release(): Promise<void> }>;
  /** Errors the pool emitted (an idle connection lost); counted, never thrown. */
  readonly poolErrors: unknown[];
  close(): Promise<void>;
}

async function postgresDb(): Promise<Db> {
  const server = await PrivatePostgres.start({ maxConnections: 12 });
  const conn = server.connection();
  // A pool as a service would configure it: no connect timeout, the store bounds the time.
  const pool = new pg.Pool({ ...conn, max: POOL_SIZE, application_name: POOL_APP });
  const poolErrors: unknown[] = [];
  pool.on('error', (err) => poolErrors.push(err));
  const admin = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ ...conn, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const revocation = new PostgresRevocationStore({ pool });
  const refresh = new PostgresRefreshTokenStore({ pool });
  await revocation.migrate();
  return {
    name: 'postgres',
    server,
    revocation,
    refresh,
    poolErrors,
    poolCounts: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    serverSideConnections: () =>
      admin(async (c) => {
        const { rows } = await c.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
          [POOL_APP],
        );
        return (rows[0] as { n: number }).n;
      }),
    killPoolConnections: () =>
      admin(async (c) => {
        await c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
          [POOL_APP],
        );
      }),
    holdAllConnections: async () => {
      const held: pg.Client[] = [];
      for (;;) {
        if (held.length > 50) throw new Error('the server never refused a connection');
        const client = new pg.Client({ ...conn, connectionTimeoutMillis: 2000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          held.push(client);
        } catch (err) {
          if ((err as { code?: string }).code !== '53300') throw err; // too_many_connections
          break;
        }
      }
      return {
        held: held.length,
        release: async () => {
          await Promise.all(held.map((c) => c.end().catch(() => undefined)));
        },
      };
    },
    close: async () => {
      await pool.end().catch(() => undefined);
      await server.destroy();
    },
  };
}

/** The part of mysql2's core pool the counts come from (not in its typings). */
interface Mysql2PoolInternals {
  _allConnections: { length: number };
  _freeConnections: { length: number };
  _connectionQueue: { length: number };
}

async function mysqlDb(): Promise<Db> {
  // MariaDB's max_connections minimum is 10 (a SUPER user gets one more).
  const server = await PrivateMariadb.start({ maxConnections: 10 });
  const root = server.connection();
  const admin = async <T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> => {
    const c = await mysql.createConnection({ ...root, connectTimeout: 2000 });
    c.on('error', () => undefined);
    try {
      return await work(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  // The pool logs in as its own account so the server's process list tells its connections apart.
  await admin(async (c) => {
    await c.query(`CREATE USER '${POOL_APP}'@'127.0.0.1'`);
    await c.query(`GRANT ALL ON \`${server.database}\`.* TO '${POOL_APP}'@'127.0.0.1'`);
  });
  const pool = mysql.createPool({ ...root, user: POOL_APP, connectionLimit: POOL_SIZE });
  const poolErrors: unknown[] = [];
  // once: mysql2 handles a connection's first error itself; a second one must stay unhandled
  // (an uncaught exception the test would see), not be swallowed here.
  pool.on('connection', (c) => c.once('error', (err) => poolErrors.push(err)));
  const internals = (pool as unknown as { pool: Mysql2PoolInternals }).pool;
  const revocation = new MysqlRevocationStore({ pool });
  const refresh = new MysqlRefreshTokenStore({ pool });
  await revocation.migrate();
  const poolIds = (c: mysql.Connection): Promise<number[]> =>
    c
      .query(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?`, [POOL_APP])
      .then(([rows]) => (rows as Array<{ id: number }>).map((r) => Number(r.id)));
  return {
    name: 'mysql',
    server,
    revocation,
    refresh,
    poolErrors,
    poolCounts: () => ({
      total: internals._allConnections.length,
      idle: internals._freeConnections.length,
      waiting: internals._connectionQueue.length,
    }),
    serverSideConnections: () => admin(async (c) => (await poolIds(c)).length),
    killPoolConnections: () =>
      admin(async (c) => {
        for (const id of await poolIds(c)) await c.query(`KILL ${id}`).catch(() => undefined);
      }),
    holdAllConnections: async () => {
      const held: mysql.Connection[] = [];
      for (;;) {
        if (held.length > 50) throw new Error('the server never refused a connection');
        try {
          const c = await mysql.createConnection({ ...root, connectTimeout: 2000 });
          c.on('error', () => undefined);
          held.push(c);
        } catch (err) {
          if ((err as { errno?: number }).errno !== 1040) throw err; // ER_CON_COUNT_ERROR
          break;
        }
      }
      return {
        held: held.length,
        release: async () => {
          await Promise.all(held.map((c) => c.end().catch(() => undefined)));
        },
      };
    },
    close: async () => {
      await pool.end().catch(() => undefined);
      await server.destroy();
    },
  };
}

type Kind = 'access' | 'refresh';

interface Answer {
  kind: Kind;
  mode: FailureMode;
  /** Start of the request, ms since the epoch. */
  at: number;
  ms: number;
  /** allowed: a decision without the store (fail_open); relogin: 401 after an outage. */
  outcome: 'ok' | 'allowed' | '503' | 'relogin' | 'other';
  detail?: string;
}

interface Transition {
  kind: Kind;
  mode: FailureMode;
  from: BreakerState;
  to: BreakerState;
  at: number;
}

/** The policies under test on one database; built once, kept across every fault. */
class Harness {
  readonly answers: Answer[] = [];
  readonly transitions: Transition[] = [];
  readonly degraded: Array<DegradedEvent & { kind: Kind }> = [];
  readonly access: Record<FailureMode, TokenPolicy>;
  readonly refresh: Record<FailureMode, RefreshTokenPolicy>;
  readonly breakers: CircuitBreaker[] = [];
  readonly validator = new TokenValidator({
    secret: { key: HS_SECRET, algorithm: 'HS256' },
    config: createValidationConfig(),
  });
  readonly accessToken = mint(accessClaims({ jti: `live-${randomUUID()}` }), { key: HS_SECRET });
  #running = false;
  #workers: Array<Promise<void>> = [];
  #gate: Promise<void> | undefined;
  #inFlight = 0;

  constructor(readonly db: Db) {
    const validator = this.validator;
    const breaker = (kind: Kind, mode: FailureMode): CircuitBreaker => {
      const b = new CircuitBreaker({
        ...BREAKER,
        onStateChange: ({ from, to }) =>
          this.transitions.push({ kind, mode, from, to, at: Date.now() }),
      });
      this.breakers.push(b);
      return b;
    };
    const hooks = (kind: Kind) => ({
      onDegraded: (e: DegradedEvent) => this.degraded.push({ ...e, kind }),
    });
    const accessPolicy = (mode: FailureMode): TokenPolicy =>
      new TokenPolicy({
        validator,
        revocationStore: db.revocation,
        failureMode: mode,
        timeoutMs: POLICY_TIMEOUT_MS,
        breaker: breaker('access', mode),
        hooks: hooks('access'),
        logger: quiet,
      });
    const refreshPolicy = (mode: FailureMode): RefreshTokenPolicy =>
      new RefreshTokenPolicy({
        secret: REFRESH_SECRET,
        store: db.refresh,
        failureMode: mode,
        timeoutMs: POLICY_TIMEOUT_MS,
        breaker: breaker('refresh', mode),
        hooks: hooks('refresh'),
        logger: quiet,
      });
    this.access = {
      fail_closed: accessPolicy('fail_closed'),
      fail_open: accessPolicy('fail_open'),
    };
    this.refresh = {
      fail_closed: refreshPolicy('fail_closed'),
      fail_open: refreshPolicy('fail_open'),
    };
  }

  clearRecords(): void {
    this.answers.length = 0;
    this.transitions.length = 0;
    this.degraded.length = 0;
  }

  /**
   * Per failure mode one access worker (alone on its policy, so a degraded event during its
   * call is its own) and two refresh workers, each sending one request at a time.
   */
  startTraffic(): void {
    this.#running = true;
    for (const mode of ['fail_closed', 'fail_open'] as const) {
      this.#workers.push(
        this.#accessWorker(mode),
        this.#refreshWorker(mode),
        this.#refreshWorker(mode),
      );
    }
  }

  /**
   * Holds every worker before its next request and resolves, once no request is in flight,
   * to the function that lets them go on.
   */
  async holdTraffic(): Promise<() => void> {
    let open!: () => void;
    this.#gate = new Promise<void>((resolve) => (open = resolve));
    await until(() => this.#inFlight === 0, 5000);
    return () => {
      this.#gate = undefined;
      open();
    };
  }

  async stopTraffic(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  async #accessWorker(mode: FailureMode): Promise<void> {
    const policy = this.access[mode];
    const mine = (): number =>
      this.degraded.filter((e) => e.kind === 'access' && e.mode === mode).length;
    while (this.#running) {
      await this.#request('access', mode, async () => {
        const before = mine();
        await policy.validate(this.accessToken);
        return mine() > before ? 'allowed' : 'ok';
      });
      await pause(20);
    }
  }

  async #refreshWorker(mode: FailureMode): Promise<void> {
    const policy = this.refresh[mode];
    const userId = randomUUID();
    let token: string | undefined;
    while (this.#running) {
      if (token === undefined) {
        // Log in: register a fresh token (a 503 here means "try again later").
        const jti = `rt-${randomUUID()}`;
        const familyId = `fam-${randomUUID()}`;
        const registered = await this.#gated(() =>
          policy.register(jti, { userId, familyId, ttlSeconds: 600 }).then(
            () => true,
            () => false,
          ),
        );
        if (registered) {
          token = mint(refreshClaims({ sub: userId, jti, fid: familyId }), {
            key: REFRESH_SECRET,
          });
        } else {
          await pause(50);
        }
        continue;
      }
      const presented: string = token;
      const newJti = `rt-${randomUUID()}`;
      const outcome = await this.#request('refresh', mode, async () => {
        const result = await policy.validateAndRotate(presented, { newJti, ttlSeconds: 600 });
        // The client gets its new token either way; a degraded one is not registered.
        token = mint(refreshClaims({ sub: userId, jti: newJti, fid: result.familyId }), {
          key: REFRESH_SECRET,
        });
        return result.degraded === true ? 'allowed' : 'ok';
      });
      if (outcome === 'relogin') token = undefined;
      await pause(20);
    }
  }

  /** Sends one request once the gate is open, recording its answer and time. */
  async #request(
    kind: Kind,
    mode: FailureMode,
    send: () => Promise<'ok' | 'allowed'>,
  ): Promise<Answer['outcome']> {
    return this.#gated(async () => {
      const at = Date.now();
      const answer: Pick<Answer, 'outcome' | 'detail'> = await send().then(
        (outcome) => ({ outcome }),
        (err: unknown) => classify(err),
      );
      this.answers.push({ kind, mode, at, ms: Date.now() - at, ...answer });
      return answer.outcome;
    });
  }

  /** Waits at the gate, then runs `work` counted as in flight. */
  async #gated<T>(work: () => Promise<T>): Promise<T> {
    while (this.#gate) await this.#gate;
    this.#inFlight += 1;
    try {
      return await work();
    } finally {
      this.#inFlight -= 1;
    }
  }

  /** Resolves once both fail_closed policies answer from the store again. */
  async storeAnswers(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const access = await this.access.fail_closed.validate(this.accessToken).then(
        () => true,
        () => false,
      );
      const jti = `probe-${randomUUID()}`;
      const refresh =
        access &&
        (await this.refresh.fail_closed
          .register(jti, { userId: randomUUID(), familyId: 'probe', ttlSeconds: 60 })
          .then(
            () => true,
            () => false,
          ));
      if (access && refresh) return true;
      await pause(100);
    }
    return false;
  }
}

function classify(err: unknown): Pick<Answer, 'outcome' | 'detail'> {
  if (err instanceof StoreUnavailableError && err.status === 503) return { outcome: '503' };
  if (err instanceof InvalidTokenError && err.status === 401) {
    return { outcome: 'relogin', detail: err.reason };
  }
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { outcome: 'other', detail };
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await pause(50);
  }
  return check();
}

type Fault = 'stopped' | 'shutdown' | 'hung' | 'max_connections';

interface FaultFigures {
  db: string;
  fault: Fault;
  answers: Record<string, { n: number; outcomes: Record<string, number>; maxMs: number }>;
  breaker: string[];
  recoveryMs: number;
  poolAfter: PoolCounts & { serverSide: number };
  /** Highest counts seen while the traffic ran (sampled every 25 ms). */
  poolPeak: { total: number; waiting: number; checkedOut: number };
  poolErrors: number;
  extra?: string;
}

const figures: FaultFigures[] = [];

/**
 * Runs traffic, injects `fault` for FAULT_MS, heals it, waits for recovery and checks
 * everything the outage must not break. The same harness (pool, stores, policies) serves
 * every fault of one database.
 */
async function outage(h: Harness, fault: Fault): Promise<void> {
  const { db } = h;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const peak = { total: 0, waiting: 0, checkedOut: 0 };
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    // Committed before the outage: one revoked access jti, one active refresh token.
    const revokedJti = `committed-${fault}-${randomUUID()}`;
    const activeJti = `committed-rt-${fault}-${randomUUID()}`;
    await db.revocation.revoke(revokedJti, 600);
    await db.refresh.register(activeJti, { userId: 'u', familyId: 'f', ttlSeconds: 600 });
    const revokedToken = mint(accessClaims({ jti: revokedJti }), { key: HS_SECRET });
    expect(await h.storeAnswers(5000)).toBe(true);
    for (const b of h.breakers) expect(b.state).toBe('closed');
    const poolErrorsBefore = db.poolErrors.length;

    h.clearRecords();
    sampler = setInterval(() => {
      const c = db.poolCounts();
      peak.total = Math.max(peak.total, c.total);
      peak.waiting = Math.max(peak.waiting, c.waiting);
      peak.checkedOut = Math.max(peak.checkedOut, c.total - c.idle);
    }, 25);
    h.startTraffic();
    await pause(300);
    let extra: string | undefined;
    let release: (() => Promise<void>) | undefined;
    const injectAt = Date.now();
    if (fault === 'stopped') {
      await db.server.kill();
    } else if (fault === 'shutdown') {
      await db.server.stop();
    } else if (fault === 'hung') {
      await db.server.pauseAndWait();
    } else {
      // The pool's own connections would keep working (rightly): make it need new ones. The
      // traffic waits meanwhile, or the pool would win back the slots the kill frees.
      const go = await h.holdTraffic();
      try {
        await db.killPoolConnections();
        expect(await until(() => db.poolCounts().total === 0, 5000)).toBe(true);
        const hold = await db.holdAllConnections();
        release = hold.release;
        extra = `${hold.held} raw connections held`;
      } finally {
        go();
      }
    }
    const faultAt = Date.now(); // the fault is in place
    let healAt: number;
    try {
      await pause(FAULT_MS);
    } finally {
      healAt = Date.now();
      if (fault === 'stopped' || fault === 'shutdown') await db.server.start();
      else if (fault === 'hung') db.server.resume();
      else await release?.();
    }
    const healedAt = Date.now(); // the server accepts again
    const recovered = await until(
      () =>
        (['access', 'refresh'] as const).every((kind) =>
          h.answers.some(
            (a) =>
              a.kind === kind && a.mode === 'fail_closed' && a.outcome === 'ok' && a.at >= healedAt,
          ),
        ),
      10_000,
    );
    const recoveredAt = Date.now();
    // The fail_open breakers close on their own next probe under the same traffic: wait for
    // that (a bound, not a fixed pause, so a slow machine cannot leave one open for the next test).
    await until(() => h.breakers.every((b) => b.state === 'closed'), 10_000);
    await pause(100);
    await h.stopTraffic();
    clearInterval(sampler);
    if (!recovered) {
      const last = h.answers
        .slice(-8)
        .map((a) => `${a.kind}/${a.mode} ${a.outcome} ${a.detail ?? ''}`);
      throw new Error(
        `no recovery within 10 s of the heal: pool ${JSON.stringify(db.poolCounts())}, breakers ${h.breakers.map((b) => b.state).join(',')}, last answers: ${last.join('; ')}`,
      );
    }

    // 1. Every answer within the bound, as its failure mode says.
    for (const a of h.answers) {
      expect(a.ms).toBeLessThan(ANSWER_BOUND_MS);
      expect(a.outcome).not.toBe('other');
      if (a.mode === 'fail_closed') expect(a.outcome).not.toBe('allowed');
      else expect(a.outcome).not.toBe('503');
      // A 401 comes only from a rotation chain broken by the outage, never for access tokens.
      if (a.kind === 'access') expect(a.outcome).not.toBe('relogin');
    }
    // During the fault (requests that started once it was in place and ended before the heal)
    // the store answered nothing: fail_closed refused every one, fail_open allowed every one.
    const during = h.answers.filter((a) => a.at >= faultAt && a.at + a.ms <= healAt);
    for (const kind of ['access', 'refresh'] as const) {
      const closed = during.filter((a) => a.kind === kind && a.mode === 'fail_closed');
      const open = during.filter((a) => a.kind === kind && a.mode === 'fail_open');
      expect(closed.length).toBeGreaterThanOrEqual(3);
      expect(open.length).toBeGreaterThanOrEqual(3);
      const show = (a: Answer): string =>
        `${a.kind}/${a.mode} ${a.outcome} at +${a.at - faultAt} ms in ${a.ms} ms`;
      expect(closed.filter((a) => a.outcome !== '503').map(show)).toEqual([]);
      expect(open.filter((a) => a.outcome !== 'allowed').map(show)).toEqual([]);
      // Once the breaker is open, refusals no longer wait for a timeout.
      const late = closed.filter((a) => a.at >= faultAt + 1000);
      expect(late.some((a) => a.ms < 50)).toBe(true);
    }
    expect(h.degraded.some((e) => e.mode === 'fail_closed' && e.reason === 'circuit_open')).toBe(
      true,
    );
    expect(h.degraded.some((e) => e.mode === 'fail_open')).toBe(true);

    // 2. Every breaker opened during the fault and closed again after it, and is closed now.
    for (const kind of ['access', 'refresh'] as const) {
      for (const mode of ['fail_closed', 'fail_open'] as const) {
        const mine = h.transitions.filter((t) => t.kind === kind && t.mode === mode);
        expect(mine.some((t) => t.to === 'open' && t.at >= injectAt && t.at <= healAt + 100)).toBe(
          true,
        );
        expect(mine.some((t) => t.to === 'closed' && t.at >= healAt)).toBe(true);
      }
    }
    for (const b of h.breakers) expect(b.state).toBe('closed');

    // 3. The same pool recovered and holds no stray connection: nothing waits, nothing is
    //    checked out, and the server sees exactly the pool's connections.
    let counts = db.poolCounts();
    await until(() => {
      counts = db.poolCounts();
      return counts.waiting === 0 && counts.idle === counts.total;
    }, 5000);
    expect(counts.waiting).toBe(0);
    expect(counts.idle).toBe(counts.total);
    expect(counts.total).toBeGreaterThan(0);
    expect(counts.total).toBeLessThanOrEqual(POOL_SIZE);
    let serverSide = -1;
    await until(async () => {
      serverSide = await db.serverSideConnections();
      return serverSide === db.poolCounts().total;
    }, 3000);
    expect(serverSide).toBe(db.poolCounts().total);

    // 4. Nothing committed before the outage was lost.
    await expect(db.revocation.isRevoked(revokedJti)).resolves.toBe(true);
    await expect(db.refresh.isValid(activeJti, 'u')).resolves.toBe(true);
    await expect(h.access.fail_closed.validate(revokedToken)).rejects.toMatchObject({
      reason: 'revoked',
      status: 401,
    });
    await expect(h.access.fail_open.validate(revokedToken)).rejects.toMatchObject({
      reason: 'revoked',
    });

    // 5. No promise of the stores or pools was left to reject unobserved.
    await pause(50);
    expect(unhandled).toEqual([]);

    figures.push(
      summarise(h, fault, faultAt, healAt, recoveredAt - healedAt, counts, serverSide, {
        poolErrors: db.poolErrors.length - poolErrorsBefore,
        poolPeak: peak,
        extra,
      }),
    );
  } finally {
    clearInterval(sampler);
    process.off('unhandledRejection', onUnhandled);
    await h.stopTraffic();
  }
}

function summarise(
  h: Harness,
  fault: Fault,
  faultAt: number,
  healAt: number,
  recoveryMs: number,
  counts: PoolCounts,
  serverSide: number,
  more: { poolErrors: number; poolPeak: FaultFigures['poolPeak']; extra?: string },
): FaultFigures {
  const answers: FaultFigures['answers'] = {};
  for (const a of h.answers) {
    const key = `${a.kind}/${a.mode}`;
    const entry = (answers[key] ??= { n: 0, outcomes: {}, maxMs: 0 });
    entry.n += 1;
    const label = a.detail && a.outcome === 'relogin' ? `401 ${a.detail}` : a.outcome;
    entry.outcomes[label] = (entry.outcomes[label] ?? 0) + 1;
    entry.maxMs = Math.max(entry.maxMs, a.ms);
  }
  const breaker = h.transitions.map(
    (t) => `${t.kind}/${t.mode} ${t.from}→${t.to} @${t.at - faultAt}ms`,
  );
  return {
    db: h.db.name,
    fault,
    answers,
    breaker: [`fault @0ms, heal @${healAt - faultAt}ms`, ...breaker],
    recoveryMs,
    poolAfter: { ...counts, serverSide },
    poolErrors: more.poolErrors,
    poolPeak: more.poolPeak,
    extra: more.extra,
  };
}

function suite(name: 'postgres' | 'mysql', unavailable: string | undefined): void {
  const title = `${name} outages through the policies (private ${name === 'postgres' ? 'PostgreSQL' : 'MariaDB'} server)`;
  describeWithBinaries(unavailable, title, () => {
    let h: Harness;

    beforeAll(async () => {
      const db = name === 'postgres' ? await postgresDb() : await mysqlDb();
      h = new Harness(db);
    }, 60_000);
    afterAll(async () => {
      if (h) {
        await h.stopTraffic();
        h.db.server.resume();
        await h.db.close();
      }
    }, 30_000);

    it('answers from the store while the server is up', async () => {
      const jti = `up-${randomUUID()}`;
      await h.db.revocation.revoke(jti, 600);
      await expect(h.access.fail_closed.validate(h.accessToken)).resolves.toBeDefined();
      await expect(
        h.access.fail_open.validate(mint(accessClaims({ jti }), { key: HS_SECRET })),
      ).rejects.toMatchObject({ reason: 'revoked', status: 401 });
    });

    it(
      'crashed server (SIGKILL) mid-traffic, then restarted: bounded answers, same pool recovers',
      () => outage(h, 'stopped'),
      30_000,
    );

    it(
      'server shut down cleanly mid-traffic, then started: bounded answers, same pool recovers',
      () => outage(h, 'shutdown'),
      30_000,
    );

    it(
      'hung server (SIGSTOP) mid-traffic, then SIGCONT: bounded answers, same pool recovers',
      () => outage(h, 'hung'),
      30_000,
    );

    it(
      'server refusing new connections (max_connections held): bounded answers, recovers on release',
      () => outage(h, 'max_connections'),
      30_000,
    );

    it("the policy's own breaker (5 failures, 10 s) reports onBreakerStateChange open on a crash and closed once the server is back", async () => {
      // The default breaker reads Date.now when it is built: a clock that can jump 10 s
      // spares the test the real wait.
      let offset = 0;
      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
      const events: Array<{ store: string; open: boolean }> = [];
      try {
        const policy = new TokenPolicy({
          validator: h.validator,
          revocationStore: h.db.revocation,
          failureMode: 'fail_closed',
          timeoutMs: POLICY_TIMEOUT_MS,
          storeName: h.db.name,
          hooks: { onBreakerStateChange: (e) => events.push(e) },
          logger: quiet,
        });
        await expect(policy.validate(h.accessToken)).resolves.toBeDefined();
        await h.db.server.kill();
        for (let i = 0; i < 5; i++) {
          await expect(policy.validate(h.accessToken)).rejects.toBeInstanceOf(
            StoreUnavailableError,
          );
        }
        expect(events).toEqual([{ store: h.db.name, open: true }]);
        await h.db.server.start();
        // Back, but the circuit stays open for its 10 s: refused at once, store not called.
        await expect(policy.validate(h.accessToken)).rejects.toBeInstanceOf(CircuitOpenError);
        offset = 10_000;
        await expect(policy.validate(h.accessToken)).resolves.toBeDefined();
        expect(events).toEqual([
          { store: h.db.name, open: true },
          { store: h.db.name, open: false },
        ]);
      } finally {
        clock.mockRestore();
      }
    });

    it('a rotation the caller was answered 503 for (server hung) does not commit when the server resumes', async () => {
      const store = h.db.refresh;
      const jti = `abandoned-${randomUUID()}`;
      await store.register(jti, { userId: 'u', familyId: `f-${jti}`, ttlSeconds: 600 });
      h.db.server.pause();
      try {
        // As a policy calls it: its guard gives up after the timeout and passes the deadline.
        await expect(
          guardStoreCall(
            undefined,
            () =>
              store.rotate(jti, `${jti}-next`, 600, {
                userId: 'u',
                deadline: Date.now() + STORE_TIMEOUT_MS,
              }),
            { timeoutMs: STORE_TIMEOUT_MS, store: h.db.name },
          ),
        ).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        h.db.server.resume();
      }
      // Let the abandoned rotation run to its end on the resumed server.
      expect(
        await until(() => {
          const c = h.db.poolCounts();
          return c.waiting === 0 && c.idle === c.total;
        }, 5000),
      ).toBe(true);
      // The client, told 503, retries with the same token: it must still be the active one,
      // or the retry reads as a reuse and its whole family is revoked.
      await expect(store.isValid(`${jti}-next`, 'u')).resolves.toBe(false);
      await expect(store.isValid(jti, 'u')).resolves.toBe(true);
      await expect(store.rotate(jti, `${jti}-retry`, 600, { userId: 'u' })).resolves.toMatchObject({
        status: 'rotated',
      });
    });
  });
}

suite('postgres', postgresUnavailable());
suite('mysql', mariadbUnavailable());

afterAll(() => {
  if (figures.length === 0) return;
  const lines = figures.map((f) =>
    [
      `${f.db} / ${f.fault}${f.extra ? ` (${f.extra})` : ''}: recovery ${f.recoveryMs} ms after the heal; pool after: total ${f.poolAfter.total}, idle ${f.poolAfter.idle}, waiting ${f.poolAfter.waiting}, server-side ${f.poolAfter.serverSide}; pool peak during traffic: total ${f.poolPeak.total}, checked out ${f.poolPeak.checkedOut}, waiting ${f.poolPeak.waiting}; pool errors ${f.poolErrors}`,
      ...Object.entries(f.answers).map(
        ([k, v]) => `  ${k}: ${v.n} answers, max ${v.maxMs} ms, ${JSON.stringify(v.outcomes)}`,
      ),
      `  breaker: ${f.breaker.join('; ')}`,
    ].join('\n'),
  );
  console.log(`SQL fault figures\n${lines.join('\n')}`);
});
