/**
 * `authPlugin`: the package under Fastify, the Fastify way (`app.register(authPlugin, options)`).
 * Everything is built per registration from the options: no module state, so two scopes may
 * register it with different policies.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from '../core/types';
import type { RequestAuthOptions } from '../security/http/request-authenticator';
import { authenticateHandler } from './authenticate';
import { authErrorHandler } from './error-handler';
import { addFlowRoutes, type FlowRoutesOptions } from './flow-routes';
import { addJwksRoute, type JwksSource } from './jwks-route';
import { requireRoleHandler } from './require-role';
import './request-types';

/**
 * The options of `authenticate()` (one verdict source: `policy`, `validator` or `settings`;
 * `cookie`, `csrf`, `optional`, `realm`) for `fastify.authenticate`, plus what to serve.
 */
export type AuthPluginOptions = RequestAuthOptions & {
  /**
   * The auth routes (`createAuthFlows` options, `prefix` default `/auth`). Without a verdict
   * source above, `fastify.authenticate` uses their `policy`. Default: no routes.
   */
  routes?: FlowRoutesOptions | undefined;
  /** Serve `GET /.well-known/jwks.json` from this issuer (a `TokenIssuer`). */
  jwks?: JwksSource | undefined;
  /** `Cache-Control: max-age` of the JWKS. Default 300 (JWKS_CACHE_TTL_SECONDS). */
  jwksMaxAgeSeconds?: number | undefined;
  /** Where the routes' unexpected errors and outages are logged. Default: the request's logger. */
  logger?: Logger | undefined;
};

async function auth(fastify: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  fastify.decorateRequest('auth', undefined);
  fastify.decorateRequest('user', undefined);
  fastify.decorate('authenticate', authenticateHandler(verdictSourceOf(options)));
  fastify.decorate('requireRole', (role) => requireRoleHandler(role, { realm: options.realm }));
  if (options.routes !== undefined || options.jwks !== undefined) {
    // Its own scope: the routes' body parser and error handler never reach the app's routes.
    await fastify.register(publicRoutes, options);
  }
}

async function publicRoutes(scope: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  scope.setErrorHandler(
    authErrorHandler({
      realm: options.routes?.realm,
      logger: options.logger ?? options.routes?.logger,
    }),
  );
  if (options.routes !== undefined) addFlowRoutes(scope, options.routes);
  if (options.jwks !== undefined) addJwksRoute(scope, options.jwks, options.jwksMaxAgeSeconds);
}

/** The verdict source given, else the routes' policy (one policy for the app and its routes). */
function verdictSourceOf(options: AuthPluginOptions): RequestAuthOptions {
  const given = options.policy ?? options.validator ?? options.settings;
  if (given !== undefined || options.routes === undefined) return options;
  return { ...options, policy: options.routes.policy } as RequestAuthOptions;
}

/**
 * Registers the request decorators `auth` and `user`, the preHandlers `fastify.authenticate`
 * and `fastify.requireRole(role)`, and (when asked) the auth routes and the JWKS route.
 *
 * Wrapped by fastify-plugin because its decorators must be visible where it is registered:
 * the routes that use `fastify.authenticate` are the app's, beside the plugin, not inside it.
 * So they belong to the scope that registers it (the root, or a prefix of the app's) and to
 * nothing above or beside it. Routes without the preHandler are not authenticated. The auth
 * routes and the JWKS live in a scope of their own with the Python error body; for the app's
 * routes, set it yourself: `app.setErrorHandler(authErrorHandler())`.
 *
 * @example await app.register(authPlugin, { policy }); app.get('/me', { preHandler: app.authenticate }, handler)
 */
export const authPlugin = fp(auth, { name: 'auth-sdk-m8', fastify: '5.x' });
