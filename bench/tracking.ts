/**
 * Revocation checks answered in the process, kept exact by Redis client tracking
 * (`--only tracking`), on a private redis-server so that only this bench talks to it:
 * - Redis commands per 1,000 authenticated requests (`authenticate()` on a listening server,
 *   100 users' tokens each used many times, 10 requests in flight), counted by the server
 *   (INFO commandstats), without and with the cache;
 * - this process's CPU per call (`policy.validate` and an `authenticate()` call), stateless,
 *   stateful with the cache and stateful without, in paired interleaved rounds;
 * - revocation visibility (`tracking-visibility.ts`): a writer sets `jwt:blacklist:<jti>` as
 *   the Python issuer does and two consumer processes refuse the token on the request that
 *   follows the invalidation; delay from the writer's reply, on CLOCK_MONOTONIC;
 * - memory per entry (`servers/tracking-per-entry.ts`, a --expose-gc child).
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { createClient } from 'redis';
import { authenticate } from '../lib/express';
import { TokenPolicy } from '../lib/security/token-policy';
import { createRedisClient } from '../stores/redis/connect';
import { RedisRevocationStore } from '../stores/redis/revocation-store';
import { PrivateRedis } from '../test/helpers/redis-server';
import { keysFor, tokensFor } from './keys';
import { BENCH_DIR, QUICK, fmt, median, table, writeResult, type Bar } from './lib';
import { benchValidator, percentile } from './tracking-parts';
import { measureVisibility, visibilityTable, type Visibility } from './tracking-visibility';

const USERS = 100;
const IN_FLIGHT = 10;

interface CommandRun {
  label: string;
  requests: number;
  /** Commands the server ran during the run, by name (the bench's own INFO left out). */
  byCommand: Record<string, number>;
  seconds: number;
}

/** Calls per command name so far (INFO commandstats). */
async function serverCalls(admin: ReturnType<typeof createClient>): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(name!, Number(count));
  }
  return calls;
}

/** A consumer: `authenticate()` on a listening server, stateful, with or without the cache. */
async function startConsumer(url: string, cached: boolean) {
  const client = cached ? createRedisClient({ url, clientCache: {} }) : createRedisClient({ url });
  await client.connect();
  const policy = new TokenPolicy({
    validator: benchValidator(),
    revocationStore: new RedisRevocationStore({ client }),
  });
  const app = express();
  app.get('/protected', authenticate({ policy }), (_req, res) => {
    res.json({ ok: true });
  });
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/protected`;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    client.destroy();
  };
  return { base, close };
}

/** Each of `tokens` `perToken` times, in a shuffled order (a fixed seed: the same every run). */
function workload(tokens: string[], perToken: number): string[] {
  const list = tokens.flatMap((token) => Array.from({ length: perToken }, () => token));
  let seed = 42;
  for (let i = list.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

async function countRun(url: string, label: string, cached: boolean, perToken: number) {
  const admin = createClient({ url });
  await admin.connect();
  const consumer = await startConsumer(url, cached);
  const requests = workload(tokensFor(keysFor('HS256'), USERS), perToken);
  try {
    const before = await serverCalls(admin);
    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const token = requests[next++]!;
        const res = await fetch(consumer.base, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = (performance.now() - started) / 1000;
    const after = await serverCalls(admin);
    const byCommand: Record<string, number> = {};
    for (const [name, calls] of after) {
      const ran = calls - (before.get(name) ?? 0);
      if (ran > 0 && name !== 'info') byCommand[name] = ran;
    }
    return { label, requests: requests.length, byCommand, seconds } satisfies CommandRun;
  } finally {
    await consumer.close();
    await admin.quit();
  }
}

async function countCommands(url: string): Promise<CommandRun[]> {
  return [
    await countRun(url, 'stateful, no cache (today)', false, 10),
    await countRun(url, 'stateful + tracking, a new consumer', true, 10),
    await countRun(url, 'stateful + tracking, 100 requests per token', true, 100),
  ];
}

function commandsTable(runs: CommandRun[]): string {
  const per1000 = (run: CommandRun, n: number): string => (n * (1000 / run.requests)).toFixed(1);
  return table(
    `Redis commands per 1,000 authenticated requests (stateful; ${USERS} users' tokens, ${IN_FLIGHT} requests in flight through authenticate() on a listening server; counted by the server: INFO commandstats)`,
    ['run', 'requests', 'EXISTS', 'PING', 'other', 'total', 'per 1,000 requests', 'seconds'],
    runs.map((run) => {
      const exists = run.byCommand.exists ?? 0;
      const ping = run.byCommand.ping ?? 0;
      const total = Object.values(run.byCommand).reduce((a, b) => a + b, 0);
      return [
        run.label,
        fmt(run.requests),
        fmt(exists),
        fmt(ping),
        fmt(total - exists - ping),
        fmt(total),
        per1000(run, total),
        run.seconds.toFixed(2),
      ];
    }),
  );
}

interface CpuResult {
  /** Median µs of this process's CPU per call, by contender. */
  micros: Record<string, number>;
  /** Per round, tracking ÷ stateless: median, min and max, per kind of call. */
  ratios: Record<'validate' | 'authenticate', { median: number; min: number; max: number }>;
  rounds: number;
}

/** µs of this process's CPU (user + system) per call of `fn`, over `n` awaited calls. */
async function cpuPerCall(fn: (i: number) => Promise<unknown>, n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function measureCpu(url: string): Promise<CpuResult> {
  const tokens = tokensFor(keysFor('HS256'), USERS);
  const tracking = createRedisClient({ url, clientCache: {} });
  const plain = createRedisClient({ url });
  await Promise.all([tracking.connect(), plain.connect()]);
  const validator = benchValidator();
  const policies = {
    stateless: new TokenPolicy({ validator, tokenMode: 'stateless' }),
    tracking: new TokenPolicy({
      validator,
      revocationStore: new RedisRevocationStore({ client: tracking }),
    }),
    uncached: new TokenPolicy({
      validator,
      revocationStore: new RedisRevocationStore({ client: plain }),
    }),
  };
  const requests = tokens.map((token) => ({
    headers: { authorization: `Bearer ${token}` },
    method: 'GET',
  }));
  const calls: Array<[string, (i: number) => Promise<unknown>, number]> = [];
  for (const [mode, policy] of Object.entries(policies)) {
    const middleware = authenticate({ policy });
    const n = mode === 'uncached' ? 2_000 : 50_000;
    calls.push([`validate ${mode}`, (i) => policy.validate(tokens[i % USERS]!), n]);
    calls.push([
      `authenticate ${mode}`,
      (i) =>
        new Promise<void>((resolve, reject) =>
          middleware(requests[i % USERS] as never, {} as never, (err?: unknown) =>
            err === undefined ? resolve() : reject(err),
          ),
        ),
      n,
    ]);
  }
  try {
    return await pairedRounds(calls);
  } finally {
    tracking.destroy();
    plain.destroy();
  }
}

/**
 * Stateless and tracking calls in paired rounds, the order flipped every round (A B B A …) so
 * that neither always runs after the other; the uncached calls (a round trip each) after them.
 */
async function pairedRounds(
  calls: Array<[string, (i: number) => Promise<unknown>, number]>,
): Promise<CpuResult> {
  for (const [, fn, n] of calls) await cpuPerCall(fn, Math.min(n, 5_000)); // warm-up
  const rounds = QUICK ? 6 : 20;
  const samples = new Map<string, number[]>(calls.map(([name]) => [name, []]));
  const paired = calls.filter(([name]) => !name.endsWith('uncached'));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn, n] of r % 2 === 0 ? paired : [...paired].reverse()) {
      samples.get(name)!.push(await cpuPerCall(fn, n));
    }
  }
  for (const [name, fn, n] of calls.filter(([name]) => name.endsWith('uncached'))) {
    for (let r = 0; r < 3; r++) samples.get(name)!.push(await cpuPerCall(fn, n));
  }
  const ratio = (kind: 'validate' | 'authenticate') => {
    const cached = samples.get(`${kind} tracking`)!;
    const base = samples.get(`${kind} stateless`)!;
    const values = cached.map((v, i) => v / base[i]!);
    return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  };
  const micros = Object.fromEntries([...samples].map(([name, v]) => [name, median(v)]));
  return {
    micros,
    ratios: { validate: ratio('validate'), authenticate: ratio('authenticate') },
    rounds,
  };
}

function cpuTable(cpu: CpuResult): string {
  const row = (kind: 'validate' | 'authenticate', label: string) => {
    const m = (mode: string): number => cpu.micros[`${kind} ${mode}`]!;
    const r = cpu.ratios[kind];
    return [
      label,
      m('stateless').toFixed(3),
      m('tracking').toFixed(3),
      `${r.median.toFixed(3)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`,
      m('uncached').toFixed(2),
    ];
  };
  return table(
    `CPU of this process per call, µs (median of ${cpu.rounds} paired rounds, the order flipped each round; ratio: per round, tracking ÷ stateless, median (min–max); no cache: 3 rounds)`,
    ['call', 'stateless', 'stateful + tracking', 'x stateless', 'stateful, no cache'],
    [row('validate', 'policy.validate()'), row('authenticate', 'authenticate() call')],
  );
}

function measurePerEntry(url: string, entries: number): { bytesPerEntry: number } {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(BENCH_DIR, 'servers', 'tracking-per-entry.ts')],
    {
      cwd: path.join(BENCH_DIR, '..'),
      env: { ...process.env, BENCH_REDIS_URL: url, BENCH_ENTRIES: String(entries) },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (child.status !== 0) throw new Error(`per-entry exited with ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout.trim()) as { bytesPerEntry: number };
}

export async function runTracking(): Promise<{ text: string; bars: Bar[] }> {
  const redis = await PrivateRedis.start();
  try {
    const commands = await countCommands(redis.url);
    const cpu = await measureCpu(redis.url);
    const visibility = await measureVisibility(redis.url);
    const entries = 100_000;
    const { bytesPerEntry } = measurePerEntry(redis.url, entries);
    const summary = (values: number[]) => ({
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: Math.max(...values),
    });
    writeResult('tracking', {
      commands,
      cpu,
      visibility: {
        samples: visibility.samples,
        missed: visibility.missed,
        refusedMs: summary(visibility.delays),
        invalidationMs: summary(visibility.arrivals),
      },
      perEntry: { entries, bytesPerEntry },
    });
    const text = [
      commandsTable(commands),
      cpuTable(cpu),
      visibilityTable(visibility),
      `\nRevocation cache: ${fmt(bytesPerEntry)} bytes per entry (${fmt(entries)} jtis, heapUsed after GC); ${((bytesPerEntry * entries) / 2 ** 20).toFixed(0)} MiB at the default maxEntries of ${fmt(entries)}`,
    ].join('\n');
    return { text, bars: trackingBars(commands, cpu, visibility) };
  } finally {
    await redis.stop();
  }
}

function trackingBars(commands: CommandRun[], cpu: CpuResult, v: Visibility): Bar[] {
  const cold = commands[1]!;
  const ping = cold.byCommand.ping ?? 0;
  const rest = Object.values(cold.byCommand).reduce((a, b) => a + b, 0) - ping;
  const today = Object.values(commands[0]!.byCommand).reduce((a, b) => a + b, 0);
  const p99 = percentile(v.delays, 99);
  return [
    {
      name: `Redis commands per 1,000 requests with tracking <= 1 per distinct token (${USERS})`,
      ok: rest <= USERS,
      detail: `${rest} + ${ping} PING, was ${today}`,
    },
    ...(['authenticate', 'validate'] as const).map((kind) => ({
      name: `CPU per ${kind === 'validate' ? 'policy.validate()' : 'authenticate() call'}, stateful + tracking within 5% of stateless`,
      ok: cpu.ratios[kind].median <= 1.05,
      detail: `${cpu.ratios[kind].median.toFixed(3)}x`,
    })),
    {
      name: 'revocation refused by 2 consumer processes, p99 <= 50 ms from the writer reply',
      ok: v.missed === 0 && p99 <= 50,
      detail: `p99 ${p99.toFixed(2)} ms, ${v.missed} missed`,
    },
  ];
}
