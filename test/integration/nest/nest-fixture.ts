/**
 * Nest test apps the way Nest's own community tests them (`Test.createTestingModule`, then
 * `app.init()` and supertest on `app.getHttpServer()`), on either platform, plus a real
 * listener on a free port for the fetch-based checks.
 */
import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

export interface NestHarness {
  app: INestApplication;
  /** The Node server supertest drives (`app.getHttpServer()`). */
  server: unknown;
  close(): Promise<void>;
}

/**
 * Compile `root` (a module class, or module metadata), `configure` the app (global filters,
 * pipes: what `main.ts` does before listening), initialise it on `platform`.
 */
export async function startNest(
  platform: Platform,
  root: Type<unknown> | ModuleMetadata,
  configure?: (app: INestApplication) => void,
): Promise<NestHarness> {
  const metadata: ModuleMetadata = typeof root === 'function' ? { imports: [root] } : root;
  const testing = await Test.createTestingModule(metadata).compile();
  const app =
    platform === 'fastify'
      ? testing.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          logger: false,
        })
      : testing.createNestApplication({ logger: false });
  configure?.(app);
  await app.init();
  if (platform === 'fastify')
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, server: app.getHttpServer(), close: () => app.close() };
}

/** The same app on a real listener (127.0.0.1, a free port): its base URL. */
export async function listenNest(harness: NestHarness): Promise<string> {
  await harness.app.listen(0, '127.0.0.1');
  return (await harness.app.getUrl()).replace('[::1]', '127.0.0.1');
}
