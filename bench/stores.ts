/**
 * Store benchmark, per store (memory, Redis, PostgreSQL, MySQL), 16 operations in flight:
 * refresh rotations through `RefreshTokenPolicy` (tokens with their family `fid`, the normal
 * case, and without it), revocation checks and session advances, next to a raw round trip
 * (PING / SELECT 1) of the same client. For Redis, the commands one operation sends are then
 * counted on the server: MONITOR on a second connection, filtered to the store client's
 * address (commands run inside a script are not sent by the client and are not counted).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { RefreshTokenPolicy } from '../lib/security/refresh-token-policy';
import type {
  RefreshTokenStore,
  RevocationStore,
  SessionStore,
} from '../lib/security/store-contracts';
import {
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from '../stores/memory';
import { RedisRefreshTokenStore, RedisRevocationStore, RedisSessionStore } from '../stores/redis';
import {
  MysqlRefreshTokenStore,
  MysqlRevocationStore,
  MysqlSessionStore,
} from '../stores/sql/mysql';
import {
  PostgresRefreshTokenStore,
  PostgresRevocationStore,
  PostgresSessionStore,
} from '../stores/sql/postgres';
import { HS_SECRET } from './keys';
import { QUICK, fmt, signHs256, table, writeResult } from './lib';
import { CountingRelay, commandsOf, connectRedis } from '../test/helpers/redis-client';
import { SqlCommandRelay, type SqlProtocol } from '../test/helpers/sql-wire';

const IN_FLIGHT = 16;
/** Operations per counted Redis scenario. */
const COUNTED = 100;

type RedisClient = ReturnType<typeof createClient>;

interface Measured {
  /** Operations per second of wall time. */
  opsPerSecond: number;
  /** This process's CPU time (user + system) per operation, in µs: what the client side costs. */
  cpuMicrosPerOp: number;
}

/** `op` with IN_FLIGHT concurrent workers for `ms`. */
async function throughput(
  op: (worker: number, i: number) => Promise<unknown>,
  ms: number,
): Promise<Measured> {
  let done = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(worker, i);
        done += 1;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    opsPerSecond: (done / (performance.now() - start)) * 1000,
    cpuMicrosPerOp: (used.user + used.system) / done,
  };
}

/** Median µs of `op` run one at a time (latency: what a round trip costs a single caller). */
async function oneAtATime(op: (worker: number, i: number) => Promise<unknown>): Promise<number> {
  const n = QUICK ? 100 : 400;
  for (let i = 0; i < 20; i++) await op(0, i);
  const micros: number[] = [];
  for (let i = 20; i < 20 + n; i++) {
    const start = performance.now();
    await op(0, i);
    micros.push((performance.now() - start) * 1000);
  }
  micros.sort((a, b) => a - b);
  return micros[Math.floor(n / 2)]!;
}

interface StoreUnderTest {
  name: string;
  raw?: () => Promise<unknown>;
  revocation: RevocationStore;
  /** The store each rotation scenario runs on (a fresh one for memory: see below). */
  refresh: () => RefreshTokenStore;
  sessions: SessionStore;
  /** A refresh store linked to `sessions` (it advances them in the rotation), where there is one. */
  linked: () => RefreshTokenStore;
  close: () => Promise<void>;
}

/**
 * One rotation chain per worker through the policy: validate the presented token, rotate it in
 * the store, sign its successor (with the family's `fid` when `withFid`).
 */
async function rotationChains(
  store: RefreshTokenStore,
  withFid: boolean,
  tag: string,
): Promise<(worker: number, i: number) => Promise<void>> {
  const policy = new RefreshTokenPolicy({
    secret: HS_SECRET,
    store,
    breaker: false,
    timeoutMs: 30_000,
  });
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const tokenOf = (sub: string, jti: string, fid: string): string =>
    signHs256({ sub, jti, type: 'refresh', exp, ...(withFid ? { fid } : {}) }, HS_SECRET);
  const chains: Array<{ user: string; family: string; token: string }> = [];
  for (let w = 0; w < IN_FLIGHT; w++) {
    const user = randomUUID();
    const family = `${tag}-fam-${w}`;
    const jti = `${tag}-w${w}-0`;
    await policy.register(jti, { userId: user, familyId: family, ttlSeconds: 300 });
    chains.push({ user, family, token: tokenOf(user, jti, family) });
  }
  return async (w, i) => {
    const chain = chains[w];
    const newJti = `${tag}-w${w}-${i + 1}`;
    const result = await policy.validateAndRotate(chain.token, { newJti, ttlSeconds: 300 });
    if (result.newJti !== newJti || result.familyId !== chain.family) {
      throw new Error(`rotation lost: ${JSON.stringify(result)}`);
    }
    chain.token = tokenOf(chain.user, newJti, chain.family);
  };
}

/**
 * A refresh's store work, as the auth flows do it: `rotate` with the session advance; a store
 * not linked to its sessions (memory) leaves the advance to a second call.
 */
async function rotationsWithSession(
  store: RefreshTokenStore,
  sessions: SessionStore,
  tag: string,
): Promise<(worker: number, i: number) => Promise<void>> {
  const at = Math.floor(Date.now() / 1000);
  const chains: Array<{ user: string; family: string; head: string }> = [];
  for (let w = 0; w < IN_FLIGHT; w++) {
    const user = randomUUID();
    const family = `${tag}-fam-${w}`;
    const head = `${tag}-w${w}-0`;
    await store.register(head, { userId: user, familyId: family, ttlSeconds: 300 });
    await sessions.create({
      id: randomUUID(),
      userId: user,
      provider: 'password',
      familyId: family,
      accessJti: `${head}-a`,
      accessExpiresAt: at + 900,
      refreshTokenHash: 'h'.repeat(64),
      refreshExpiresAt: at + 3600,
      createdAt: at,
      lastUsedAt: at,
    });
    chains.push({ user, family, head });
  }
  return async (w, i) => {
    const chain = chains[w]!;
    const next = `${tag}-w${w}-${i + 1}`;
    const advance = {
      accessJti: `${next}-a`,
      accessExpiresAt: at + 900,
      refreshTokenHash: String(i).padStart(64, '0'),
      refreshExpiresAt: at + 3600,
      lastUsedAt: at,
    };
    const result = await store.rotate(chain.head, next, 300, {
      familyId: chain.family,
      userId: chain.user,
      graceSeconds: 10,
      session: advance,
    });
    if (result.status !== 'rotated') throw new Error(`rotation lost: ${result.status}`);
    const session =
      result.session === undefined
        ? await sessions.advance(chain.user, chain.family, advance)
        : result.session;
    if (!session) throw new Error('rotation lost its session');
    chain.head = next;
  };
}

/** The same chains on the store alone (`rotate` with the hints the policy passes), no JWS work. */
async function storeRotations(
  store: RefreshTokenStore,
  tag: string,
): Promise<(worker: number, i: number) => Promise<void>> {
  const chains: Array<{ user: string; family: string; head: string }> = [];
  for (let w = 0; w < IN_FLIGHT; w++) {
    const user = randomUUID();
    const family = `${tag}-fam-${w}`;
    const head = `${tag}-w${w}-0`;
    await store.register(head, { userId: user, familyId: family, ttlSeconds: 300 });
    chains.push({ user, family, head });
  }
  return async (w, i) => {
    const chain = chains[w];
    const next = `${tag}-w${w}-${i + 1}`;
    const result = await store.rotate(chain.head, next, 300, {
      familyId: chain.family,
      userId: chain.user,
      graceSeconds: 10,
    });
    if (result.status !== 'rotated') throw new Error(`rotation lost: ${result.status}`);
    chain.head = next;
  };
}

async function checks(
  store: RevocationStore,
  tag: string,
): Promise<(worker: number, i: number) => Promise<unknown>> {
  for (let i = 0; i < 100; i++) await store.revoke(`${tag}-${i}`, 300);
  return (_w, i) => store.isRevoked(`${tag}-${i % 200}`);
}

/** One session per worker, advanced as a rotation advances it. */
async function advances(
  store: SessionStore,
  tag: string,
): Promise<(worker: number, i: number) => Promise<void>> {
  const now = Math.floor(Date.now() / 1000);
  const sessions: Array<{ user: string; family: string }> = [];
  for (let w = 0; w < IN_FLIGHT; w++) {
    const user = randomUUID();
    const family = `${tag}-fam-${w}`;
    await store.create({
      id: randomUUID(),
      userId: user,
      provider: 'password',
      familyId: family,
      accessJti: `${tag}-a${w}`,
      accessExpiresAt: now + 900,
      refreshTokenHash: 'h'.repeat(64),
      refreshExpiresAt: now + 3600,
      createdAt: now,
      lastUsedAt: now,
    });
    sessions.push({ user, family });
  }
  return async (w, i) => {
    const { user, family } = sessions[w];
    const updated = await store.advance(user, family, {
      accessJti: `${tag}-a${w}-${i}`,
      accessExpiresAt: now + 900,
      refreshTokenHash: String(i).padStart(64, '0'),
      refreshExpiresAt: now + 3600,
      lastUsedAt: now,
    });
    if (updated === undefined) throw new Error('session advance lost its session');
  };
}

interface CommandCount {
  perOperation: number;
  roundTripsPerOperation: number;
  byCommand: Record<string, number>;
}

/**
 * Commands per operation as the server saw them (MONITOR on a second connection, filtered to
 * the client's address, ended by an ECHO marker), and round trips per operation (writes through
 * the relay the client is connected through), over COUNTED sequential operations.
 */
async function countPerOperation(
  client: RedisClient,
  relay: CountingRelay,
  url: string,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<CommandCount> {
  // Warm: scripts loaded, so no NOSCRIPT fallback is counted.
  for (let i = 0; i < 3; i++) await op(0, i);
  const { commands, roundTrips } = await commandsOf(client, relay, url, async () => {
    for (let i = 3; i < 3 + COUNTED; i++) await op(0, i);
  });
  const seen = new Map<string, number>();
  for (const name of commands) seen.set(name, (seen.get(name) ?? 0) + 1);
  const byCommand = Object.fromEntries([...seen].map(([name, n]) => [name, n / COUNTED]));
  return {
    perOperation: commands.length / COUNTED,
    roundTripsPerOperation: roundTrips / COUNTED,
    byCommand,
  };
}

/** The Redis counts, on a client of its own connected through a counting relay. */
async function countRedis(url: string, prefix: string): Promise<Record<string, CommandCount>> {
  const target = new URL(url);
  const relay = await CountingRelay.start({
    host: target.hostname,
    port: Number(target.port || 6379),
  });
  const client = await connectRedis(relay.url);
  try {
    const refresh = new RedisRefreshTokenStore({ client, keyPrefix: `${prefix}rt:` });
    const revocation = new RedisRevocationStore({ client, keyPrefix: `${prefix}bl:` });
    const sessions = new RedisSessionStore({ client, keyPrefix: `${prefix}sess:` });
    const linked = new RedisRefreshTokenStore({ client, keyPrefix: `${prefix}rt:`, sessions });
    const tag = `count-${Date.now().toString(36)}`;
    const count = (op: (worker: number, i: number) => Promise<unknown>) =>
      countPerOperation(client, relay, url, op);
    return {
      storeRotateWithHints: await count(await storeRotations(refresh, `${tag}-d`)),
      rotationWithFid: await count(await rotationChains(refresh, true, `${tag}-f`)),
      rotationWithoutFid: await count(await rotationChains(refresh, false, `${tag}-n`)),
      rotationWithSession: await count(await rotationsWithSession(linked, sessions, `${tag}-r`)),
      revocationCheck: await count(await checks(revocation, `${tag}-c`)),
      sessionAdvance: await count(await advances(sessions, `${tag}-s`)),
    };
  } finally {
    await client.quit();
    await relay.close();
  }
}

/**
 * Commands one rotation with its session sends to PostgreSQL or MySQL, read off the wire by a
 * relay (one entry per round trip), mean of COUNTED sequential rotations.
 */
async function countSql(
  protocol: SqlProtocol,
  connect: (port: number) => {
    linked: RefreshTokenStore;
    sessions: SessionStore;
    end(): Promise<unknown>;
  },
  target: { host: string; port: number },
): Promise<CommandCount> {
  const relay = await SqlCommandRelay.start(protocol, target);
  const { linked, sessions, end } = connect(relay.port);
  try {
    const op = await rotationsWithSession(
      linked,
      sessions,
      `count-${protocol}-${Date.now().toString(36)}`,
    );
    for (let i = 0; i < 3; i++) await op(0, i);
    const commands = await relay.commandsOf(async () => {
      for (let i = 3; i < 3 + COUNTED; i++) await op(0, i);
    });
    const seen = new Map<string, number>();
    for (const name of commands) seen.set(name, (seen.get(name) ?? 0) + 1);
    return {
      perOperation: commands.length / COUNTED,
      roundTripsPerOperation: commands.length / COUNTED,
      byCommand: Object.fromEntries([...seen].map(([name, n]) => [name, n / COUNTED])),
    };
  } finally {
    await end();
    await relay.close();
  }
}

function describeCount(count: CommandCount): string[] {
  const parts = Object.entries(count.byCommand).map(([name, n]) => `${n} ${name}`);
  return [`${count.perOperation} (${parts.join(' + ')})`, String(count.roundTripsPerOperation)];
}

async function open(
  redisUrl: string,
): Promise<{ stores: StoreUnderTest[]; prefix: string; tablePrefix: string }> {
  const memorySessions = new MemorySessionStore();
  const list: StoreUnderTest[] = [
    {
      name: 'memory',
      revocation: new MemoryRevocationStore(),
      // A fresh store per scenario: one scenario fills 100,000 entries, and a full
      // MemoryRefreshTokenStore evicts on every insert, which is slower (bench/README.md).
      refresh: () => new MemoryRefreshTokenStore(),
      sessions: memorySessions,
      linked: () => new MemoryRefreshTokenStore(),
      close: async () => undefined,
    },
  ];
  const redis = createClient({ url: redisUrl, disableOfflineQueue: true });
  await redis.connect();
  const prefix = `bench:${process.pid}:`;
  const redisRefresh = new RedisRefreshTokenStore({ client: redis, keyPrefix: `${prefix}rt:` });
  const redisSessions = new RedisSessionStore({ client: redis, keyPrefix: `${prefix}sess:` });
  const redisLinked = new RedisRefreshTokenStore({
    client: redis,
    keyPrefix: `${prefix}rt:`,
    sessions: redisSessions,
  });
  list.push({
    name: 'redis',
    raw: () => redis.ping(),
    revocation: new RedisRevocationStore({ client: redis, keyPrefix: `${prefix}bl:` }),
    refresh: () => redisRefresh,
    sessions: redisSessions,
    linked: () => redisLinked,
    close: async () => {
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        if (keys.length) await redis.del(keys);
      await redis.quit();
    },
  });
  const tablePrefix = `bench_${process.pid}_`;
  const tables = ['revoked_tokens', 'refresh_tokens', 'sessions']
    .map((t) => `${tablePrefix}${t}`)
    .join(', ');
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'test',
    max: IN_FLIGHT,
  });
  const pgRevocation = new PostgresRevocationStore({ pool, tablePrefix });
  const pgRefresh = new PostgresRefreshTokenStore({ pool, tablePrefix });
  const pgSessions = new PostgresSessionStore({ pool, tablePrefix });
  const pgLinked = new PostgresRefreshTokenStore({ pool, tablePrefix, sessions: pgSessions });
  await pgRevocation.migrate();
  list.push({
    name: 'postgres',
    raw: () => pool.query('SELECT 1'),
    revocation: pgRevocation,
    refresh: () => pgRefresh,
    sessions: pgSessions,
    linked: () => pgLinked,
    close: async () => {
      await pool.query(`DROP TABLE IF EXISTS ${tables}`);
      await pool.end();
    },
  });
  const my = mysql.createPool({
    host: '127.0.0.1',
    port: 3306,
    user: 'root',
    database: 'test',
    connectionLimit: IN_FLIGHT,
  });
  const myRevocation = new MysqlRevocationStore({ pool: my, tablePrefix });
  const myRefresh = new MysqlRefreshTokenStore({ pool: my, tablePrefix });
  const mySessions = new MysqlSessionStore({ pool: my, tablePrefix });
  const myLinked = new MysqlRefreshTokenStore({ pool: my, tablePrefix, sessions: mySessions });
  await myRevocation.migrate();
  list.push({
    name: 'mysql',
    raw: () => my.query('SELECT 1'),
    revocation: myRevocation,
    refresh: () => myRefresh,
    sessions: mySessions,
    linked: () => myLinked,
    close: async () => {
      await my.query(`DROP TABLE IF EXISTS ${tables}`);
      await my.end();
    },
  });
  return { stores: list, prefix, tablePrefix };
}

/** The SQL counts: one rotation with its session, on a pool of its own through the relay. */
async function countSqlStores(tablePrefix: string): Promise<Record<string, CommandCount>> {
  const postgres = await countSql(
    'postgres',
    (port) => {
      const pool = new pg.Pool({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'test',
        max: 1,
      });
      const sessions = new PostgresSessionStore({ pool, tablePrefix });
      const linked = new PostgresRefreshTokenStore({ pool, tablePrefix, sessions });
      return { linked, sessions, end: () => pool.end() };
    },
    { host: '127.0.0.1', port: 5432 },
  );
  const mysqlCount = await countSql(
    'mysql',
    (port) => {
      const pool = mysql.createPool({
        host: '127.0.0.1',
        port,
        user: 'root',
        database: 'test',
        connectionLimit: 1,
      });
      const sessions = new MysqlSessionStore({ pool, tablePrefix });
      const linked = new MysqlRefreshTokenStore({ pool, tablePrefix, sessions });
      return { linked, sessions, end: () => pool.end() };
    },
    { host: '127.0.0.1', port: 3306 },
  );
  return { 'postgres rotationWithSession': postgres, 'mysql rotationWithSession': mysqlCount };
}

export async function runStores(): Promise<{ text: string }> {
  const ms = QUICK ? 700 : 2000;
  const redisUrl = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
  const loadBefore = os.loadavg()[0];
  const { stores, prefix, tablePrefix } = await open(redisUrl);
  const rows: Array<Array<string>> = [];
  const results: Record<string, Record<string, Measured>> = {};
  const cpuRows: Array<Array<string>> = [];
  let counts: Record<string, CommandCount> = {};
  const latencyRows: Array<Array<string>> = [];
  const latencies: Record<string, Record<string, number>> = {};
  try {
    for (const s of stores) {
      const tag = `${s.name}-${Date.now().toString(36)}`;
      const raw = s.raw ? await throughput(() => s.raw!(), ms) : undefined;
      const measured: Record<string, Measured> = {
        storeRotations: await throughput(await storeRotations(s.refresh(), `${tag}-d`), ms),
        rotationsWithFid: await throughput(await rotationChains(s.refresh(), true, `${tag}-f`), ms),
        rotationsWithoutFid: await throughput(
          await rotationChains(s.refresh(), false, `${tag}-n`),
          ms,
        ),
        rotationsWithSession: await throughput(
          await rotationsWithSession(s.linked(), s.sessions, `${tag}-r`),
          ms,
        ),
        revocationChecks: await throughput(await checks(s.revocation, `${tag}-c`), ms),
        sessionAdvances: await throughput(await advances(s.sessions, `${tag}-s`), ms),
      };
      results[s.name] = raw === undefined ? measured : { rawRoundTrip: raw, ...measured };
      const row = [s.name, raw === undefined ? '—' : fmt(raw.opsPerSecond)];
      const cpuRow = [s.name, raw === undefined ? '—' : raw.cpuMicrosPerOp.toFixed(1)];
      for (const m of Object.values(measured)) {
        row.push(fmt(m.opsPerSecond));
        row.push(raw === undefined ? '—' : (m.opsPerSecond / raw.opsPerSecond).toFixed(2));
        cpuRow.push(m.cpuMicrosPerOp.toFixed(1));
      }
      rows.push(row);
      cpuRows.push(cpuRow);
      const latency = {
        raw: s.raw ? await oneAtATime(() => s.raw!()) : undefined,
        rotationWithSession: await oneAtATime(
          await rotationsWithSession(s.linked(), s.sessions, `${tag}-l`),
        ),
      };
      latencies[s.name] = Object.fromEntries(
        Object.entries(latency).filter(([, v]) => v !== undefined),
      ) as Record<string, number>;
      latencyRows.push([
        s.name,
        latency.raw === undefined ? '—' : latency.raw.toFixed(0),
        latency.rotationWithSession.toFixed(0),
        latency.raw === undefined ? '—' : (latency.rotationWithSession / latency.raw).toFixed(1),
      ]);
      if (s.name === 'redis') counts = await countRedis(redisUrl, prefix);
    }
    counts = { ...counts, ...(await countSqlStores(tablePrefix)) };
  } finally {
    for (const s of stores) await s.close();
  }
  // Other processes on the machine move every number here: record how busy it was.
  const load = { before: loadBefore, after: os.loadavg()[0] };
  writeResult('stores', {
    inFlight: IN_FLIGHT,
    loadAverage1m: load,
    msPerRun: ms,
    results,
    commandsPerOperation: counts,
    medianMicrosOneAtATime: latencies,
  });
  const countRows = Object.entries(counts).map(([name, count]) => [name, ...describeCount(count)]);
  return {
    text: [
      table(
        `Stores, ${IN_FLIGHT} operations in flight (ops/s; ratios to the raw round trip of the same client; 1-min load average ${load.before.toFixed(1)} → ${load.after.toFixed(1)} on ${os.cpus().length} cores). Policy rotations: RefreshTokenPolicy.validateAndRotate, then the successor signed`,
        [
          'store',
          'raw PING / SELECT 1',
          'store.rotate/s',
          'x raw',
          'policy rotations/s (fid)',
          'x raw',
          'policy rotations/s (no fid)',
          'x raw',
          'rotation + session/s',
          'x raw',
          'revocation checks/s',
          'x raw',
          'session advances/s',
          'x raw',
        ],
        rows,
      ),
      table(
        'One at a time (median µs): a refresh’s store work (rotation + session) next to the raw round trip',
        ['store', 'raw PING / SELECT 1', 'rotation + session', 'x raw'],
        latencyRows,
      ),
      table(
        `Client CPU per operation (µs of this process, user + system; less moved by the machine's load than ops/s)`,
        [
          'store',
          'raw',
          'store.rotate',
          'policy rotation (fid)',
          'policy rotation (no fid)',
          'rotation + session',
          'revocation check',
          'session advance',
        ],
        cpuRows,
      ),
      table(
        `Per operation, mean of ${COUNTED}: Redis commands the store's client sent (MONITOR on the server) and round trips (its writes, through a counting relay); PostgreSQL and MySQL commands read off the wire protocol (one per round trip; a PostgreSQL query of several statements is one, named A+B+C)`,
        ['operation', 'commands', 'round trips'],
        countRows,
      ),
    ].join('\n'),
  };
}
