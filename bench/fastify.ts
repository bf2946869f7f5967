/**
 * Fastify benchmark. Over HTTP: server CPU per request of `GET /protected` behind each
 * contender (a bare route, a no-op preHandler, @fastify/jwt, `fastify.authenticate` uncached
 * and cached), each in its own process (`servers/fastify-server.ts`), interleaved rounds,
 * median. In this process: the µs one preHandler call costs next to a no-op, on a real
 * Fastify request, which the machine's noise (±15 % on HTTP CPU here) moves far less.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { protect, type FastifyContender, type PreHandler } from './fastify-contenders';
import { measureServers, HTTP_ROUNDS, HTTP_SECONDS, type HttpSummary } from './http';
import { keysFor, tokensFor, type Alg } from './keys';
import { cpuMicrosPerCall, fmt, table, writeResult, type Bar } from './lib';

const ALGS: Alg[] = ['HS256', 'RS256'];
const LABEL: Record<FastifyContender, string> = {
  bare: 'bare route (no auth)',
  noop: 'no-op preHandler',
  'fastify-jwt': '@fastify/jwt',
  'fastify-jwt-cached': '@fastify/jwt cached',
  ours: 'ours fastify.authenticate',
  'ours-cached': 'ours fastify.authenticate cached',
};
const PROTECTED: FastifyContender[] = ['fastify-jwt', 'fastify-jwt-cached', 'ours', 'ours-cached'];

const nameOf = (contender: FastifyContender, alg: Alg): string =>
  contender === 'bare' || contender === 'noop' ? LABEL[contender] : `${LABEL[contender]} ${alg}`;

/** Each contender over HTTP in its own process (`servers/fastify-server.ts`). */
function measureHttp(): Promise<Map<string, HttpSummary>> {
  const plan: Array<[FastifyContender, Alg]> = [
    ['bare', 'HS256'],
    ['noop', 'HS256'],
    ...ALGS.flatMap((alg) => PROTECTED.map((c): [FastifyContender, Alg] => [c, alg])),
  ];
  return measureServers(
    plan.map(([contender, alg]) => [nameOf(contender, alg), contender, alg] as const),
    'fastify-server.ts',
  );
}

/** One call of `handler` on a real request, as a promise (callback or async style). */
function callOf(
  handler: PreHandler,
  request: FastifyRequest,
  reply: FastifyReply,
): () => Promise<void> {
  if (handler.length < 3) {
    const run = handler as (request: FastifyRequest) => Promise<void>;
    return () => run(request);
  }
  const run = handler as (r: FastifyRequest, p: FastifyReply, done: (e?: Error) => void) => void;
  return () =>
    new Promise<void>((resolve, reject) => {
      run(request, reply, (err) => (err ? reject(err) : resolve()));
    });
}

/** CPU µs per preHandler call, median of interleaved rounds, on a request Fastify itself built. */
async function measureInProcess(alg: Alg): Promise<Map<string, number>> {
  const keys = keysFor(alg);
  const [token] = tokensFor(keys, 1);
  const calls = new Map<string, () => Promise<void>>();
  for (const contender of ['noop', ...PROTECTED] as FastifyContender[]) {
    const app = Fastify();
    const handler = (await protect(app, contender, keys))!;
    let captured: [FastifyRequest, FastifyReply] | undefined;
    app.get('/capture', async (request, reply) => {
      captured = [request, reply];
      return { ok: true };
    });
    await app.inject({ url: '/capture', headers: { authorization: `Bearer ${token}` } });
    const call = callOf(handler, ...captured!);
    await call(); // a refused token would throw here: every contender really verifies
    calls.set(nameOf(contender, alg), call);
  }
  return cpuMicrosPerCall(calls);
}

export async function runFastify(): Promise<{ bars: Bar[]; text: string }> {
  const http = await measureHttp();
  const perCall = new Map<string, number>();
  for (const alg of ALGS) for (const [k, v] of await measureInProcess(alg)) perCall.set(k, v);
  const noop = http.get(LABEL.noop)!;
  const bare = http.get(LABEL.bare)!;
  const noopCall = perCall.get(LABEL.noop)!;
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
      call === undefined || name === LABEL.noop ? '—' : (call - noopCall).toFixed(2),
      String(v.non2xx),
    ];
  });
  const rounds = HTTP_ROUNDS;
  const text = table(
    `Fastify 5 GET /protected, 10 connections, ${rounds} x ${HTTP_SECONDS} s interleaved (median); in-process: CPU µs per preHandler call on a real request`,
    [
      'contender',
      'req/s',
      'p99',
      'server CPU µs/req',
      'x bare (CPU)',
      'x no-op (CPU)',
      'in-process CPU µs/call',
      'over no-op',
      'non-2xx',
    ],
    rows,
  );
  writeResult('fastify', {
    http: Object.fromEntries(http),
    inProcessMicrosPerCall: Object.fromEntries(perCall),
  });
  return { bars: barsOf(http, perCall), text };
}

function barsOf(http: Map<string, HttpSummary>, perCall: Map<string, number>): Bar[] {
  const cpu = (name: string): number => http.get(name)!.cpuMicros;
  const noopCpu = cpu(LABEL.noop);
  const noopCall = perCall.get(LABEL.noop)!;
  const bars: Bar[] = [];
  for (const alg of ALGS) {
    const cached = cpu(nameOf('ours-cached', alg));
    bars.push({
      name: `fastify.authenticate ${alg} cached within 5% of the no-op preHandler (HTTP CPU/request)`,
      ok: cached <= 1.05 * noopCpu,
      detail: `${(cached / noopCpu).toFixed(3)}x`,
    });
    const extra = perCall.get(nameOf('ours-cached', alg))! - noopCall;
    bars.push({
      name: `fastify.authenticate ${alg} cached: in-process cost over a no-op within 5% of a request's CPU`,
      ok: extra <= 0.05 * noopCpu,
      detail: `${extra.toFixed(2)} µs of ${noopCpu.toFixed(1)} µs = ${((100 * extra) / noopCpu).toFixed(1)}%`,
    });
    const ours = cpu(nameOf('ours', alg));
    const peer = cpu(nameOf('fastify-jwt', alg));
    bars.push({
      name: `fastify.authenticate ${alg} uncached at or below @fastify/jwt (HTTP CPU/request)`,
      ok: ours <= peer,
      detail: `${ours.toFixed(1)} vs ${peer.toFixed(1)} µs (${(ours / peer).toFixed(2)}x)`,
    });
    const oursCall = perCall.get(nameOf('ours', alg))!;
    const peerCall = perCall.get(nameOf('fastify-jwt', alg))!;
    bars.push({
      name: `fastify.authenticate ${alg} uncached at or below @fastify/jwt (in-process µs/call)`,
      ok: oursCall <= peerCall,
      detail: `${oursCall.toFixed(2)} vs ${peerCall.toFixed(2)} µs (${(oursCall / peerCall).toFixed(2)}x)`,
    });
  }
  const failed = [...http].filter(([, v]) => v.non2xx > 0).map(([name]) => name);
  bars.push({
    name: 'every Fastify contender answered 2xx (the tokens really validated)',
    ok: failed.length === 0,
    detail: failed.join(', ') || 'all 2xx',
  });
  return bars;
}
