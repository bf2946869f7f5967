/**
 * One Fastify contender per child process: `GET /protected` behind the preHandler named by
 * BENCH_CONTENDER (see `../fastify-contenders.ts`), verifying BENCH_ALG tokens. Prints
 * `READY <port> <token>` once listening.
 */
import Fastify from 'fastify';
import { protect, type FastifyContender } from '../fastify-contenders';
import { keysFor, tokensFor, type Alg } from '../keys';

const contender = (process.env.BENCH_CONTENDER ?? 'bare') as FastifyContender;
const alg = (process.env.BENCH_ALG ?? 'HS256') as Alg;

async function main(): Promise<void> {
  const keys = keysFor(alg);
  const [token] = tokensFor(keys, 1);
  const app = Fastify();
  // Server CPU time, read by the driver around each load run (see bench/http.ts).
  app.get('/__cpu', async () => {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  });
  const preHandler = await protect(app, contender, keys);
  const handler = async () => ({ ok: true });
  if (preHandler === undefined) app.get('/protected', handler);
  else app.get('/protected', { preHandler }, handler);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  process.stdout.write(`READY ${port} ${token}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
