/**
 * `npm run example:nest`: runs the example service on NestJS (platform-express), on PORT
 * (default 3000), with the same environment, start line and shutdown as the Express one
 * (`../common/run-server.ts`).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { runExample } from '../common/run-server';
import { createAppModule } from './app';

runExample(async (services, { host, port }) => {
  const app = await NestFactory.create<NestExpressApplication>(createAppModule(services), {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  // The flows' bodies are small: a larger one is a 413 before any route runs.
  app.useBodyParser('json', { limit: '16kb' });
  app.disable('x-powered-by');
  // User data is personal: no ETag revalidation, no caching (ASVS 5 V14 data protection).
  app.set('etag', false);
  const metrics = services.metrics;
  if (metrics) {
    app.use(metrics.module.metricsMiddleware(metrics.setup));
    // Fixed at GET /metrics: the example's routes carry no API_PREFIX.
    app.use(metrics.module.metricsRouter(metrics.setup, { path: '/metrics' }));
  }
  await app.listen(port, host);
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    close: () => app.close(),
  };
});
