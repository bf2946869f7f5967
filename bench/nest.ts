/**
 * NestJS benchmark. Over HTTP: server CPU per request of `GET /protected` behind each global
 * guard (none, a no-op guard, `@nestjs/passport`'s `AuthGuard('jwt')` over passport-jwt, the
 * package's `AuthGuard` uncached and cached), each in its own process
 * (`servers/nest-server.ts`, Nest 11 on platform-express), interleaved rounds, median. In this
 * process: the CPU µs one `canActivate` costs, on a real Express request, which the machine's
 * noise moves far less than HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { CanActivate, INestApplication } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Express, Request, Response } from 'express';
import { measureServers, HTTP_ROUNDS, HTTP_SECONDS, type HttpSummary } from './http';
import { keysFor, tokensFor, type Alg } from './keys';
import { cpuMicrosPerCall, fmt, table, writeResult, type Bar } from './lib';
import { ProtectedController, nestContender, type NestContender } from './nest-contenders';

const ALGS: Alg[] = ['HS256', 'RS256'];
const LABEL: Record<NestContender, string> = {
  bare: 'Nest, no guard',
  noop: 'Nest, a no-op guard',
  'passport-jwt': "@nestjs/passport AuthGuard('jwt') + passport-jwt",
  ours: 'ours AuthGuard',
  'ours-cached': 'ours AuthGuard cached',
};
const GUARDED: NestContender[] = ['passport-jwt', 'ours', 'ours-cached'];

const nameOf = (contender: NestContender, alg: Alg): string =>
  contender === 'bare' || contender === 'noop' ? LABEL[contender] : `${LABEL[contender]} ${alg}`;

/** Each contender over HTTP in its own process (`servers/nest-server.ts`). */
function measureHttp(): Promise<Map<string, HttpSummary>> {
  const plan: Array<[NestContender, Alg]> = [
    ['bare', 'HS256'],
    ['noop', 'HS256'],
    ...ALGS.flatMap((alg) => GUARDED.map((c): [NestContender, Alg] => [c, alg])),
  ];
  return measureServers(
    plan.map(([contender, alg]) => [nameOf(contender, alg), contender, alg] as const),
    'nest-server.ts',
  );
}

/** A real Express request carrying `token`, and its response, from `app`'s own server. */
async function capturedRequest(app: INestApplication, token: string): Promise<[Request, Response]> {
  let captured: [Request, Response] | undefined;
  (app.getHttpAdapter().getInstance() as Express).get('/__capture', (req, res) => {
    captured = [req, res];
    res.json({ ok: true });
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  await fetch(`http://127.0.0.1:${port}/__capture`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return captured!;
}

/** CPU µs per `canActivate`, median of interleaved rounds, on the route the guard protects. */
async function measureInProcess(alg: Alg): Promise<Map<string, number>> {
  const keys = keysFor(alg);
  const [token] = tokensFor(keys, 1);
  const calls = new Map<string, () => Promise<unknown>>();
  const apps: INestApplication[] = [];
  try {
    for (const contender of ['noop', ...GUARDED] as NestContender[]) {
      const { module, guard } = nestContender(contender, keys);
      const app = await NestFactory.create(module, { logger: false });
      apps.push(app);
      const [req, res] = await capturedRequest(app, token);
      const instance: CanActivate = await app.get(ModuleRef).create(guard!);
      const context = new ExecutionContextHost(
        [req, res, () => undefined],
        ProtectedController,
        ProtectedController.prototype.protected,
      );
      const call = async (): Promise<unknown> => instance.canActivate(context);
      // A refused token would throw here: every contender really verifies.
      if ((await call()) !== true) throw new Error(`${contender} refused the bench token`);
      calls.set(nameOf(contender, alg), call);
    }
    return await cpuMicrosPerCall(calls);
  } finally {
    for (const app of apps) await app.close();
  }
}

export async function runNest(): Promise<{ bars: Bar[]; text: string }> {
  const http = await measureHttp();
  const perCall = new Map<string, number>();
  for (const alg of ALGS) for (const [k, v] of await measureInProcess(alg)) perCall.set(k, v);
  const bare = http.get(LABEL.bare)!;
  const noop = http.get(LABEL.noop)!;
  const rows = [...http].map(([name, v]) => {
    const call = perCall.get(name);
    return [
      name,
      fmt(v.rps),
      `${v.p99} ms`,
      v.cpuMicros.toFixed(1),
      (v.cpuMicros / bare.cpuMicros).toFixed(2),
      (v.cpuMicros / noop.cpuMicros).toFixed(2),
      call === undefined ? '—' : call.toFixed(2),
      String(v.non2xx),
    ];
  });
  const rounds = HTTP_ROUNDS;
  const text = table(
    `NestJS 11 (platform-express) GET /protected, 10 connections, ${rounds} x ${HTTP_SECONDS} s interleaved (median); in-process: CPU µs per canActivate on a real request`,
    [
      'contender',
      'req/s',
      'p99',
      'server CPU µs/req',
      'x no guard (CPU)',
      'x no-op guard (CPU)',
      'in-process CPU µs/canActivate',
      'non-2xx',
    ],
    rows,
  );
  writeResult('nest', {
    http: Object.fromEntries(http),
    inProcessMicrosPerCanActivate: Object.fromEntries(perCall),
  });
  return { bars: barsOf(http, perCall), text };
}

function barsOf(http: Map<string, HttpSummary>, perCall: Map<string, number>): Bar[] {
  const bars: Bar[] = [];
  for (const alg of ALGS) {
    const ours = http.get(nameOf('ours', alg))!.cpuMicros;
    const peer = http.get(nameOf('passport-jwt', alg))!.cpuMicros;
    bars.push({
      name: `Nest AuthGuard ${alg} uncached at or below AuthGuard('jwt') + passport-jwt (HTTP CPU/request)`,
      ok: ours <= peer,
      detail: `${ours.toFixed(1)} vs ${peer.toFixed(1)} µs (${(ours / peer).toFixed(2)}x)`,
    });
    const oursCall = perCall.get(nameOf('ours', alg))!;
    const peerCall = perCall.get(nameOf('passport-jwt', alg))!;
    bars.push({
      name: `Nest AuthGuard ${alg} uncached at or below AuthGuard('jwt') + passport-jwt (in-process µs/canActivate)`,
      ok: oursCall <= peerCall,
      detail: `${oursCall.toFixed(2)} vs ${peerCall.toFixed(2)} µs (${(oursCall / peerCall).toFixed(2)}x)`,
    });
  }
  const failed = [...http].filter(([, v]) => v.non2xx > 0).map(([name]) => name);
  bars.push({
    name: 'every Nest contender answered 2xx (the tokens really validated)',
    ok: failed.length === 0,
    detail: failed.join(', ') || 'all 2xx',
  });
  return bars;
}
