/**
 * The Fastify contenders, shared by the HTTP server (`servers/fastify-server.ts`) and the
 * in-process measure (`fastify.ts`): each registers what it needs on `app` and returns the
 * preHandler that protects the route (none for the bare route).
 */
import { createRequire } from 'node:module';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { authPlugin } from '../lib/fastify';
import { TokenValidator } from '../lib/security/token-validator';
import { createValidationConfig } from '../lib/security/validation-config';
import { AUDIENCE, ISSUER, type KeySet } from './keys';

export type FastifyContender =
  'bare' | 'noop' | 'fastify-jwt' | 'fastify-jwt-cached' | 'ours' | 'ours-cached';

export type PreHandler =
  | ((request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void)
  | ((request: FastifyRequest) => Promise<void>);

// @fastify/jwt is loaded untyped: its declaration merging gives `request.user` another type
// than this package's (an app uses one of the two), and both are in this program.
const fastifyJwt = createRequire(import.meta.url)('@fastify/jwt') as FastifyPluginCallback<
  Record<string, unknown>
>;

/** Register `contender` on `app` (its own scope or the root) and return its preHandler. */
export async function protect(
  app: FastifyInstance,
  contender: FastifyContender,
  keys: KeySet,
): Promise<PreHandler | undefined> {
  switch (contender) {
    case 'bare':
      return undefined;
    case 'noop':
      // What any preHandler costs before doing anything.
      return (_request, _reply, done) => done();
    case 'fastify-jwt':
    case 'fastify-jwt-cached':
      await app.register(fastifyJwt, {
        secret: keys.alg === 'HS256' ? keys.verifyString : { public: keys.verifyString },
        // The same claim checks where it has them: algorithm, iss and aud (exp by default).
        verify: {
          algorithms: [keys.alg],
          allowedIss: ISSUER,
          allowedAud: AUDIENCE,
          ...(contender === 'fastify-jwt-cached' ? { cache: true } : {}),
        },
      });
      return async (request: FastifyRequest) => {
        await (request as unknown as { jwtVerify(): Promise<unknown> }).jwtVerify();
      };
    case 'ours':
    case 'ours-cached': {
      const validator = new TokenValidator({
        secret: { key: keys.verifyString, algorithm: keys.alg },
        config: createValidationConfig({
          allowedAlgorithms: [keys.alg],
          issuer: ISSUER,
          audience: AUDIENCE,
          requireIss: true,
          requireAud: true,
        }),
        cache: contender === 'ours-cached',
      });
      await app.register(authPlugin, { validator });
      return app.authenticate;
    }
  }
}
