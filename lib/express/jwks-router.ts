import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { JWKS_PATH, type JwksPublisher } from '../security/http/jwks';

export { JWKS_PATH, type JwksPublisher };

/**
 * Serves `GET /.well-known/jwks.json` (and HEAD) from `issuer.jwks()` with
 * `Cache-Control: public, max-age=300` — the consumers' default JWKS_CACHE_TTL_SECONDS, so
 * caches and consumers agree. Other requests pass through. A plain middleware rather than an
 * `express.Router`, so it needs no runtime express and also mounts on Connect.
 *
 * @example app.use(jwksRouter(issuer))
 */
export function jwksRouter(
  issuer: JwksPublisher,
  options: { maxAgeSeconds?: number } = {},
): RequestHandler {
  const cacheControl = `public, max-age=${options.maxAgeSeconds ?? 300}`;
  return function jwksHandler(req: Request, res: Response, next: NextFunction): void {
    const method = req.method ?? 'GET';
    if ((method !== 'GET' && method !== 'HEAD') || pathOf(req.url) !== JWKS_PATH) {
      next();
      return;
    }
    Promise.resolve()
      .then(() => issuer.jwks())
      .then(
        (jwks) => {
          const body = JSON.stringify({ keys: jwks.keys });
          res.statusCode = 200;
          res.setHeader('Content-Type', 'application/json; charset=utf-8');
          res.setHeader('Cache-Control', cacheControl);
          res.setHeader('Content-Length', Buffer.byteLength(body));
          res.end(method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => next(err),
      );
  };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}
