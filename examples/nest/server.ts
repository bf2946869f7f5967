/**
 * `npm run example:nest`: the example service on NestJS, on PORT (default 3000), with the
 * environment of `npm start` (AUTH_STORE, REDIS_*, DB_*, TOKEN_MODE, DEMO_PASSWORD, REFRESH_*,
 * METRICS_ENABLED…). Refuses to start — in plain words, exit 1 — on an unusable configuration,
 * and shuts down cleanly on SIGTERM/SIGINT (app closed, store clients ended, exit 0).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigurationError, type Logger } from 'auth-sdk-m8';
import { bootstrap } from '../shared/bootstrap';
import { createAppModule } from './app';

const logger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  const booted = await bootstrap(process.env, logger);
  for (const note of booted.notes) logger.info?.(`auth-sdk-m8 example: ${note}`);
  const app = await NestFactory.create<NestExpressApplication>(createAppModule(booted.services), {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  // The flows' bodies are small: a larger one is a 413 before any route runs.
  app.useBodyParser('json', { limit: '16kb' });
  app.disable('x-powered-by');
  // User data is personal: no ETag revalidation, no caching (ASVS 5 V14 data protection).
  app.set('etag', false);
  const metrics = booted.services.metrics;
  if (metrics) {
    app.use(metrics.module.metricsMiddleware(metrics.setup));
    // Fixed at GET /metrics: the example's routes carry no API_PREFIX.
    app.use(metrics.module.metricsRouter(metrics.setup, { path: '/metrics' }));
  }
  // Demo passwords inside: listen on loopback unless HOST says otherwise.
  const host = process.env.HOST?.trim() || '127.0.0.1';
  await app.listen(port, host);
  const { port: bound } = app.getHttpServer().address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  logger.info?.(
    `auth-sdk-m8 example (NestJS) listening on http://${shown}:${bound} (${booted.summary})`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info?.(`auth-sdk-m8 example: ${signal} received, shutting down`);
    app
      .close()
      .then(() => booted.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`auth-sdk-m8 example: closing failed: ${messageOf(err)}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`PORT must be an integer from 0 to 65535 (got "${value}").`);
  }
  return port;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Secret values must never reach the terminal, even inside a validation message. */
function scrubSecrets(text: string): string {
  let out = text;
  for (const [name, value] of Object.entries(process.env)) {
    if (value && value.length >= 6 && /SECRET|PASSWORD|PRIVATE/.test(name)) {
      out = out.split(value).join('***');
    }
  }
  return out;
}

main().catch((err: unknown) => {
  const findings = err instanceof ConfigurationError ? err.findings : [];
  const headline = findings.length > 0 ? messageOf(err).split('\n')[0] : messageOf(err);
  const lines = [`auth-sdk-m8 example refused to start: ${headline}`];
  for (const finding of findings) lines.push(`  - ${finding}`);
  console.error(scrubSecrets(lines.join('\n')));
  process.exit(1);
});
