import type { FastifyInstance } from 'fastify';
import { JWKS_SCHEMA } from './route-schemas';

import { JWKS_PATH, type JwksPublisher } from '../security/http/jwks';

/** Anything that publishes a JWKS (a `TokenIssuer`). */
export type JwksSource = JwksPublisher;

/**
 * `GET /.well-known/jwks.json` (and HEAD) from `source.jwks()`, with
 * `Cache-Control: public, max-age=300` — the consumers' default JWKS_CACHE_TTL_SECONDS, so
 * caches and consumers agree. Public keys only: the issuer never publishes a private part.
 */
export function addJwksRoute(
  fastify: FastifyInstance,
  source: JwksSource,
  maxAgeSeconds = 300,
): void {
  const cacheControl = `public, max-age=${maxAgeSeconds}`;
  fastify.get(JWKS_PATH, { schema: JWKS_SCHEMA }, (_request, reply) =>
    Promise.resolve()
      .then(() => source.jwks())
      .then((jwks) =>
        reply
          .header('cache-control', cacheControl)
          .type('application/json; charset=utf-8')
          .send({ keys: jwks.keys }),
      ),
  );
}
