/**
 * A Fastify app on the plugin, as a consumer compiles it (strict, exactOptionalPropertyTypes):
 * the decorators are typed by declaration merging, the preHandlers fit routes with their own
 * generics, optional options take `undefined`, and wrong uses do not compile.
 */
import Fastify from 'fastify';
import type {
  AccessTokenValidator,
  AuthUser,
  RefreshRateLimiter,
  RefreshTokenPolicy,
  RoleName,
  TokenIssuer,
  TokenPolicy,
  TokenUserData,
  UserModel,
} from 'auth-sdk-m8';
import {
  authErrorHandler,
  authPlugin,
  type AuthPluginOptions,
  type FlowRoutesOptions,
} from 'auth-sdk-m8/fastify';
import { expectType, type Equal, type RefusesUndefined } from './assert';

declare const policy: TokenPolicy;
declare const issuer: TokenIssuer;
declare const refreshPolicy: RefreshTokenPolicy;
declare const user: AuthUser;
declare const limiter: RefreshRateLimiter | undefined;
declare const validator: AccessTokenValidator;

expectType<Equal<RefusesUndefined<AuthPluginOptions>, never>>(true);
expectType<Equal<RefusesUndefined<FlowRoutesOptions>, never>>(true);

export async function build() {
  const app = Fastify();
  await app.register(authPlugin, {
    policy,
    realm: undefined,
    logger: undefined,
    jwks: issuer,
    routes: { issuer, refreshPolicy, policy, findUser: () => user, rateLimit: limiter },
  });
  app.setErrorHandler(authErrorHandler({ realm: undefined, logger: undefined }));

  // The preHandlers fit a route with its own generics; the request carries the claims.
  app.post<{ Body: { name: string }; Params: { id: string } }>(
    '/items/:id',
    { preHandler: [app.authenticate, app.requireRole('writer')] },
    async (request) => {
      expectType<Equal<typeof request.auth, TokenUserData | undefined>>(true);
      expectType<Equal<typeof request.user, UserModel | undefined>>(true);
      const role: RoleName | undefined = request.auth?.role;
      return { name: request.body.name, id: request.params.id, role };
    },
  );
  app.get('/me', { preHandler: app.authenticate }, async (request) => request.user);

  // @ts-expect-error 'owner' is not a RoleName
  app.requireRole('owner');
  // @ts-expect-error policy and validator exclude each other
  await app.register(authPlugin, { policy, validator });
  // @ts-expect-error `realms` is not an option
  await app.register(authPlugin, { policy, realms: 'api' });
  // @ts-expect-error the routes need the refresh policy
  await app.register(authPlugin, { routes: { issuer, policy, findUser: () => user } });
  return app;
}
