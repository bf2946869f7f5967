/**
 * Store benchmark: rotations/s and revocation checks/s per store, next to a raw round trip
 * (PING / SELECT 1) on the same server, 16 operations in flight.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import type { RefreshTokenStore, RevocationStore } from '../lib/security/stores';
import { MemoryRefreshTokenStore, MemoryRevocationStore } from '../stores/memory';
import { RedisRefreshTokenStore, RedisRevocationStore } from '../stores/redis';
import { MysqlRefreshTokenStore, MysqlRevocationStore } from '../stores/sql/mysql';
import { PostgresRefreshTokenStore, PostgresRevocationStore } from '../stores/sql/postgres';
import { QUICK, fmt, table, writeResult } from './lib';

const IN_FLIGHT = 16;

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
  close: () => Promise<void>;
}

async function rotations(store: RefreshTokenStore, ms: number, tag: string): Promise<number> {
  const heads: string[] = [];
  for (let w = 0; w < IN_FLIGHT; w++) {
    heads[w] = `${tag}-w${w}-0`;
    await store.register(heads[w], {
      userId: `bench-user-${w}`,
      familyId: `${tag}-fam-${w}`,
      ttlSeconds: 300,
    });
  }
  return throughput(async (w, i) => {
    const next = `${tag}-w${w}-${i + 1}`;
    const result = await store.rotate(heads[w], next, 300);
    if (result.status !== 'rotated') throw new Error(`rotation lost: ${result.status}`);
    heads[w] = next;
  }, ms);
}

async function checks(store: RevocationStore, ms: number, tag: string): Promise<number> {
  for (let i = 0; i < 100; i++) await store.revoke(`${tag}-${i}`, 300);
  return throughput((_w, i) => store.isRevoked(`${tag}-${i % 200}`), ms);
}

async function open(): Promise<StoreUnderTest[]> {
  const list: StoreUnderTest[] = [
    {
      name: 'memory',
      revocation: new MemoryRevocationStore(),
      refresh: new MemoryRefreshTokenStore(),
      close: async () => undefined,
    },
  ];
  const redis = createClient({
    url: process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379',
    disableOfflineQueue: true,
  });
  await redis.connect();
  const prefix = `bench:${process.pid}:`;
  list.push({
    name: 'redis',
    raw: () => redis.ping(),
    revocation: new RedisRevocationStore({ client: redis, keyPrefix: `${prefix}bl:` }),
    refresh: new RedisRefreshTokenStore({ client: redis, keyPrefix: `${prefix}rt:` }),
    close: async () => {
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        if (keys.length) await redis.del(keys);
      await redis.quit();
    },
  });
  const tablePrefix = `bench_${process.pid}_`;
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'test',
    max: IN_FLIGHT,
  });
  const pgRevocation = new PostgresRevocationStore({ pool, tablePrefix });
  const pgRefresh = new PostgresRefreshTokenStore({ pool, tablePrefix });
  await pgRevocation.migrate();
  list.push({
    name: 'postgres',
    raw: () => pool.query('SELECT 1'),
    revocation: pgRevocation,
    refresh: pgRefresh,
    close: async () => {
      await pool.query(
        `DROP TABLE IF EXISTS ${tablePrefix}revoked_tokens, ${tablePrefix}refresh_tokens`,
      );
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
  await myRevocation.migrate();
  list.push({
    name: 'mysql',
    raw: () => my.query('SELECT 1'),
    revocation: myRevocation,
    refresh: myRefresh,
    close: async () => {
      await my.query(
        `DROP TABLE IF EXISTS ${tablePrefix}revoked_tokens, ${tablePrefix}refresh_tokens`,
      );
      await my.end();
    },
  });
  return list;
}

export async function runStores(): Promise<{ text: string }> {
  const ms = QUICK ? 1000 : 2500;
  const stores = await open();
  const rows: Array<Array<string>> = [];
  const results: Record<string, Record<string, number>> = {};
  try {
    for (const s of stores) {
      const raw = s.raw ? await throughput(() => s.raw!(), ms) : NaN;
      const rot = await rotations(s.refresh, ms, `rot-${Date.now()}`);
      const chk = await checks(s.revocation, ms, `chk-${Date.now()}`);
      results[s.name] = { rawRoundTrip: raw, rotations: rot, revocationChecks: chk };
      rows.push([
        s.name,
        Number.isNaN(raw) ? '—' : fmt(raw),
        fmt(rot),
        Number.isNaN(raw) ? '—' : (rot / raw).toFixed(2),
        fmt(chk),
        Number.isNaN(raw) ? '—' : (chk / raw).toFixed(2),
      ]);
    }
  } finally {
    for (const s of stores) await s.close();
  }
  writeResult('stores', { inFlight: IN_FLIGHT, results });
  return {
    text: table(
      `Stores, ${IN_FLIGHT} operations in flight (ops/s; ratios to the raw round trip on the same server)`,
      ['store', 'raw PING / SELECT 1', 'rotations/s', 'x raw', 'revocation checks/s', 'x raw'],
      rows,
    ),
  };
}
