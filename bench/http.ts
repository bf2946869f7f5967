/**
 * HTTP benchmark: each contender in its own child process on 127.0.0.1, driven by autocannon
 * from this process; contenders interleaved over rounds; median req/s, p99 and server CPU per
 * request, ratios to bare. The bars use CPU per request: stable on a shared, noisy machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, QUICK, fmt, median, table, writeResult, type Bar } from './lib';
import type { Alg } from './keys';

export interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  token: string;
}

const tsx = path.join(BENCH_DIR, '..', 'node_modules', '.bin', 'tsx');

/** One contender in its own child process (`servers/<script>`), once it printed READY. */
export function startServer(
  name: string,
  contender: string,
  alg: Alg,
  script = 'http-server.ts',
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [path.join(BENCH_DIR, 'servers', script)], {
      env: { ...process.env, BENCH_CONTENDER: contender, BENCH_ALG: alg, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+) (\S+)/.exec(out);
      if (match)
        resolve({ name, child, url: `http://127.0.0.1:${match[1]}/protected`, token: match[2] });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

export interface Sample {
  rps: number;
  p99: number;
  non2xx: number;
  /** Server CPU microseconds per request. */
  cpuMicros: number;
}

async function serverCpu(server: Server): Promise<number> {
  const res = await fetch(server.url.replace('/protected', '/__cpu'));
  return ((await res.json()) as { micros: number }).micros;
}

/** Load `server` with autocannon (10 connections) for `seconds`; its CPU time per request. */
export async function load(server: Server, seconds: number): Promise<Sample> {
  const cpuBefore = await serverCpu(server);
  const result = await autocannon({
    url: server.url,
    connections: 10,
    duration: seconds,
    headers: { authorization: `Bearer ${server.token}` },
  });
  const cpuAfter = await serverCpu(server);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    cpuMicros: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
  };
}

const CONTENDERS: Array<[string, string, Alg]> = [
  ['bare (no auth)', 'bare', 'HS256'],
  ['one pass-through middleware', 'noop', 'HS256'],
  ['node:crypto-only middleware HS256', 'floor', 'HS256'],
  ['express-jwt HS256', 'express-jwt', 'HS256'],
  ['passport-jwt HS256', 'passport-jwt', 'HS256'],
  ['express-oauth2-jwt-bearer HS256', 'oauth2-jwt-bearer', 'HS256'],
  ['ours authenticate() HS256', 'ours', 'HS256'],
  ['ours authenticate() HS256 cached', 'ours-cached', 'HS256'],
  ['node:crypto-only middleware RS256', 'floor', 'RS256'],
  ['express-jwt RS256', 'express-jwt', 'RS256'],
  ['passport-jwt RS256', 'passport-jwt', 'RS256'],
  ['express-oauth2-jwt-bearer RS256', 'oauth2-jwt-bearer', 'RS256'],
  ['ours authenticate() RS256', 'ours', 'RS256'],
  ['ours authenticate() RS256 cached', 'ours-cached', 'RS256'],
  ['ours stateful + Redis revocation', 'ours-redis', 'HS256'],
];

export interface HttpSummary {
  rps: number;
  p99: number;
  non2xx: number;
  cpuMicros: number;
}

/** Rounds and seconds of load per server: 3 × 4 s, or 1 × 2 s with `--quick`. */
export const HTTP_ROUNDS = QUICK ? 1 : 3;
export const HTTP_SECONDS = QUICK ? 2 : 4;

/**
 * Each `[name, contender, alg]` served by its own process of `script`, a warm-up, then
 * interleaved rounds of load; the median of each, by name.
 */
export async function measureServers(
  plan: ReadonlyArray<readonly [name: string, contender: string, alg: Alg]>,
  script?: string,
): Promise<Map<string, HttpSummary>> {
  const servers: Server[] = [];
  try {
    for (const [name, contender, alg] of plan)
      servers.push(await startServer(name, contender, alg, script));
    for (const s of servers) await load(s, 1); // warm-up (JIT, JWKS fetch)
    const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
    for (let r = 0; r < HTTP_ROUNDS; r++) {
      for (const s of servers) samples.get(s.name)!.push(await load(s, HTTP_SECONDS));
    }
    return new Map(
      [...samples].map(([name, list]) => [
        name,
        {
          rps: median(list.map((x) => x.rps)),
          p99: median(list.map((x) => x.p99)),
          non2xx: list.reduce((a, x) => a + x.non2xx, 0),
          cpuMicros: median(list.map((x) => x.cpuMicros)),
        },
      ]),
    );
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
  }
}

export async function runHttp(): Promise<{ bars: Bar[]; text: string }> {
  const rounds = HTTP_ROUNDS;
  const seconds = HTTP_SECONDS;
  const summary = await measureServers(CONTENDERS);
  const bare = summary.get('bare (no auth)')!;
  const rows = [...summary].map(([name, v]) => [
    name,
    fmt(v.rps),
    `${v.p99} ms`,
    (v.rps / bare.rps).toFixed(2),
    v.cpuMicros.toFixed(1),
    (bare.cpuMicros / v.cpuMicros).toFixed(2),
    String(v.non2xx),
  ]);
  const text = table(
    `HTTP GET /protected, 10 connections, ${rounds} x ${seconds} s interleaved (median req/s and server CPU per request; ratios to bare Express 5)`,
    ['contender', 'req/s', 'p99', 'x bare (req/s)', 'server CPU µs/req', 'x bare (CPU)', 'non-2xx'],
    rows,
  );
  // Bars use the CPU cost per request: requests per server CPU-second, stable under noise.
  const rps = (name: string): number => 1e6 / summary.get(name)!.cpuMicros;
  const bareRate = rps('bare (no auth)');
  const bars: Bar[] = [];
  for (const alg of ['HS256', 'RS256'] as const) {
    const ours = rps(`ours authenticate() ${alg}`);
    const floor = rps(`node:crypto-only middleware ${alg}`);
    const peers = ['express-jwt', 'passport-jwt', 'express-oauth2-jwt-bearer'].map((p) =>
      rps(`${p} ${alg}`),
    );
    bars.push({
      name: `authenticate() ${alg} uncached >= 0.95x node:crypto middleware`,
      ok: ours >= 0.95 * floor,
      detail: `${(ours / floor).toFixed(2)}x`,
    });
    bars.push({
      name: `authenticate() ${alg} ahead of express-jwt, passport-jwt, oauth2-jwt-bearer`,
      ok: peers.every((p) => ours > p),
      detail: `ours ${fmt(ours)} vs best peer ${fmt(Math.max(...peers))}`,
    });
    const cached = rps(`ours authenticate() ${alg} cached`);
    bars.push({
      name: `authenticate() ${alg} cached >= 0.9x bare`,
      ok: cached >= 0.9 * bareRate,
      detail: `${(cached / bareRate).toFixed(2)}x`,
    });
  }
  const redis = rps('ours stateful + Redis revocation');
  bars.push({
    name: 'stateful with Redis revocation >= 0.6x bare',
    ok: redis >= 0.6 * bareRate,
    detail: `${(redis / bareRate).toFixed(2)}x`,
  });
  const failed = [...summary].filter(([, v]) => v.non2xx > 0).map(([name]) => name);
  bars.push({
    name: 'every contender answered 2xx (the tokens really validated)',
    ok: failed.length === 0,
    detail: failed.join(', ') || 'all 2xx',
  });
  writeResult('http', { rounds, seconds, summary: Object.fromEntries(summary) });
  return { bars, text };
}
