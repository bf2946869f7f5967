/**
 * One Nest contender per child process (NestJS 11 on platform-express): `GET /protected` behind
 * the global guard named by BENCH_CONTENDER (see `../nest-contenders.ts`), verifying BENCH_ALG
 * tokens. Prints `READY <port> <token>` once listening.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Express } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { keysFor, tokensFor, type Alg } from '../keys';
import { nestContender, type NestContender } from '../nest-contenders';

const contender = (process.env.BENCH_CONTENDER ?? 'bare') as NestContender;
const alg = (process.env.BENCH_ALG ?? 'HS256') as Alg;

async function main(): Promise<void> {
  const keys = keysFor(alg);
  const [token] = tokensFor(keys, 1);
  const { module } = nestContender(contender, keys);
  const app = await NestFactory.create<NestExpressApplication>(module, { logger: false });
  // Server CPU time, read by the driver around each load run (see bench/http.ts); on the
  // Express instance before Nest's routes, so no guard runs for it.
  const express = app.getHttpAdapter().getInstance() as Express;
  express.get('/__cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.json({ micros: user + system });
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.stdout.write(`READY ${port} ${token}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
