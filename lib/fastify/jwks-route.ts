import type { FastifyInstance } from 'fastify';
import { JWKS_SCHEMA } from './route-schemas';

/** Anything that publishes a JWKS (a `TokenIssuer`). */
export interface JwksSource {
  jwks(): { keys: readonly object[] } | Promise<{ keys: readonly object[] }>;
}

/** The path `jwksRouter` of the Express adapter serves too. */
const JWKS_PATH = '/.well-known/jwks.json';

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
