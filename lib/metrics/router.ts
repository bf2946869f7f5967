/** `GET {API_PREFIX}/metrics` in the Prometheus text format, optionally behind a scrape token. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireMetrics, type Metrics } from './setup';

export interface MetricsRouterOptions {
  /** Default `${apiPrefix}/metrics`. */
  path?: string | undefined;
  /** Bearer token a scraper must send; compared in constant time. */
  scrapeToken?: string | undefined;
  /**
   * In production without a scrapeToken, refuse every scrape (403) rather than publish the
   * metrics to anyone. Default true; set false when a network policy already guards the path.
   */
  denyInProduction?: boolean | undefined;
  /** Deployment environment; default env ENVIRONMENT, else NODE_ENV. `production` enables the guard above. */
  environment?: string | undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function metricsRouter(
  metrics: Metrics,
  options: MetricsRouterOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const m = requireMetrics(metrics);
  const path = options.path ?? `${m.apiPrefix.replace(/\/+$/, '')}/metrics`;
  const expected = options.scrapeToken ? digest(options.scrapeToken) : undefined;
  const environment = options.environment ?? process.env.ENVIRONMENT ?? process.env.NODE_ENV;
  const deny =
    expected === undefined &&
    (options.denyInProduction ?? true) &&
    environment?.toLowerCase() === 'production';
  // Disabled metrics are no endpoint (a 200 with nothing in it looks like a live target).
  if (!m.enabled) return (_req, _res, next) => next();
  return (req, res, next) => {
    const url = (req.url ?? '').split('?')[0];
    const fullUrl = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0];
    if ((url !== path && fullUrl !== path) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next();
      return;
    }
    if (deny) {
      res.statusCode = 403;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Forbidden');
      return;
    }
    if (expected !== undefined) {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match || !timingSafeEqual(digest(match[1]), expected)) {
        res.statusCode = 401;
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end('Unauthorized');
        return;
      }
    }
    m.render().then(
      ({ body, contentType }) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => next(err),
    );
  };
}
