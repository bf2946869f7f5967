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
import type { RefreshTokenStore, RevocationStore, SessionStore } from '../lib/security/stores';
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

const IN_FLIGHT = 16;
/** Operations per counted Redis scenario. */
const COUNTED = 100;

type RedisClient = ReturnType<typeof createClient>;

/** ops/s of `op` with IN_FLIGHT concurrent workers for `ms`. */
async function throughput(
  op: (worker: number, i: number) => Promise<unknown>,
  ms: number,
): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(worker, i);
        done += 1;
      }
    }),
  );
  return (done / (performance.now() - start)) * 1000;
}

interface StoreUnderTest {
  name: string;
  raw?: () => Promise<unknown>;
  revocation: RevocationStore;
  refresh: RefreshTokenStore;
  sessions: SessionStore;
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
    if (result.jti !== newJti || result.familyId !== chain.family) {
      throw new Error(`rotation lost: ${JSON.stringify(result)}`);
    }
    chain.token = tokenOf(chain.user, newJti, chain.family);
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

/**
 * The commands `client` sends during `action`, by name, as the server saw them (MONITOR on a
 * second connection, filtered to the client's address, ended by an ECHO marker).
 */
async function commandsOf(
  client: RedisClient,
  url: string,
  action: () => Promise<void>,
): Promise<Map<string, number>> {
  const { addr } = await client.clientInfo();
  const monitor = createClient({ url });
  await monitor.connect();
  const seen = new Map<string, number>();
  const marker = `bench-end-${randomUUID()}`;
  let markerSeen: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (markerSeen = resolve));
  try {
    await monitor.monitor((line: string) => {
      const match = /^\S+ \[\d+ (\S+)\] "([^"]+)"(.*)$/.exec(line);
      if (match === null || match[1] !== addr) return;
      const name = match[2].toUpperCase();
      if (name === 'ECHO' && match[3].includes(marker)) markerSeen();
      else seen.set(name, (seen.get(name) ?? 0) + 1);
    });
    await action();
    await client.echo(marker);
    await ended;
    return seen;
  } finally {
    monitor.destroy();
  }
}

interface CommandCount {
  perOperation: number;
  byCommand: Record<string, number>;
}

async function countPerOperation(
  client: RedisClient,
  url: string,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<CommandCount> {
  // Warm: scripts loaded, so no NOSCRIPT fallback is counted.
  for (let i = 0; i < 3; i++) await op(0, i);
  const seen = await commandsOf(client, url, async () => {
    for (let i = 3; i < 3 + COUNTED; i++) await op(0, i);
  });
  const byCommand = Object.fromEntries([...seen].map(([name, n]) => [name, n / COUNTED]));
  const perOperation = [...seen.values()].reduce((a, b) => a + b, 0) / COUNTED;
  return { perOperation, byCommand };
}

function describeCount(count: CommandCount): string {
  const parts = Object.entries(count.byCommand).map(([name, n]) => `${n} ${name}`);
  return `${count.perOperation} (${parts.join(' + ')})`;
}

async function open(redisUrl: string): Promise<{ stores: StoreUnderTest[]; redis: RedisClient }> {
  const list: StoreUnderTest[] = [
    {
      name: 'memory',
      revocation: new MemoryRevocationStore(),
      refresh: new MemoryRefreshTokenStore(),
      sessions: new MemorySessionStore(),
      close: async () => undefined,
    },
  ];
  const redis = createClient({ url: redisUrl, disableOfflineQueue: true });
  await redis.connect();
  const prefix = `bench:${process.pid}:`;
  list.push({
    name: 'redis',
    raw: () => redis.ping(),
    revocation: new RedisRevocationStore({ client: redis, keyPrefix: `${prefix}bl:` }),
    refresh: new RedisRefreshTokenStore({ client: redis, keyPrefix: `${prefix}rt:` }),
    sessions: new RedisSessionStore({ client: redis, keyPrefix: `${prefix}sess:` }),
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
  await pgRevocation.migrate();
  list.push({
    name: 'postgres',
    raw: () => pool.query('SELECT 1'),
    revocation: pgRevocation,
    refresh: new PostgresRefreshTokenStore({ pool, tablePrefix }),
    sessions: new PostgresSessionStore({ pool, tablePrefix }),
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
  await myRevocation.migrate();
  list.push({
    name: 'mysql',
    raw: () => my.query('SELECT 1'),
    revocation: myRevocation,
    refresh: new MysqlRefreshTokenStore({ pool: my, tablePrefix }),
    sessions: new MysqlSessionStore({ pool: my, tablePrefix }),
    close: async () => {
      await my.query(`DROP TABLE IF EXISTS ${tables}`);
      await my.end();
    },
  });
  return { stores: list, redis };
}

export async function runStores(): Promise<{ text: string }> {
  const ms = QUICK ? 700 : 2000;
  const redisUrl = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
  const loadBefore = os.loadavg()[0];
  const { stores, redis } = await open(redisUrl);
  const rows: Array<Array<string>> = [];
  const results: Record<string, Record<string, number>> = {};
  const counts: Record<string, CommandCount> = {};
  const ratio = (ops: number, raw: number): string =>
    Number.isNaN(raw) ? '—' : (ops / raw).toFixed(2);
  try {
    for (const s of stores) {
      const tag = `${s.name}-${Date.now().toString(36)}`;
      const raw = s.raw ? await throughput(() => s.raw!(), ms) : NaN;
      const direct = await throughput(await storeRotations(s.refresh, `${tag}-d`), ms);
      const withFid = await throughput(await rotationChains(s.refresh, true, `${tag}-f`), ms);
      const noFid = await throughput(await rotationChains(s.refresh, false, `${tag}-n`), ms);
      const chk = await throughput(await checks(s.revocation, `${tag}-c`), ms);
      const adv = await throughput(await advances(s.sessions, `${tag}-s`), ms);
      results[s.name] = {
        rawRoundTrip: raw,
        storeRotations: direct,
        rotationsWithFid: withFid,
        rotationsWithoutFid: noFid,
        revocationChecks: chk,
        sessionAdvances: adv,
      };
      rows.push([
        s.name,
        Number.isNaN(raw) ? '—' : fmt(raw),
        fmt(direct),
        ratio(direct, raw),
        fmt(withFid),
        ratio(withFid, raw),
        fmt(noFid),
        ratio(noFid, raw),
        fmt(chk),
        ratio(chk, raw),
        fmt(adv),
        ratio(adv, raw),
      ]);
      if (s.name === 'redis') {
        const tagged = `${tag}-count`;
        counts.storeRotateWithHints = await countPerOperation(
          redis,
          redisUrl,
          await storeRotations(s.refresh, `${tagged}-d`),
        );
        counts.rotationWithFid = await countPerOperation(
          redis,
          redisUrl,
          await rotationChains(s.refresh, true, `${tagged}-f`),
        );
        counts.rotationWithoutFid = await countPerOperation(
          redis,
          redisUrl,
          await rotationChains(s.refresh, false, `${tagged}-n`),
        );
        counts.revocationCheck = await countPerOperation(
          redis,
          redisUrl,
          await checks(s.revocation, `${tagged}-c`),
        );
        counts.sessionAdvance = await countPerOperation(
          redis,
          redisUrl,
          await advances(s.sessions, `${tagged}-s`),
        );
      }
    }
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
    redisCommandsPerOperation: counts,
  });
  const countRows = Object.entries(counts).map(([name, count]) => [name, describeCount(count)]);
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
          'revocation checks/s',
          'x raw',
          'session advances/s',
          'x raw',
        ],
        rows,
      ),
      table(
        `Redis commands sent by the store's client per operation (MONITOR on the server, mean of ${COUNTED})`,
        ['operation', 'commands'],
        countRows,
      ),
    ].join('\n'),
  };
}
