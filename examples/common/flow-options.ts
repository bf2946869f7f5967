/**
 * The auth flows' options every example mounts (`authRoutes()`, the Fastify plugin's
 * `routes`, `AuthModule.forRoot`): built once here so that no framework's example can drop
 * one, such as the login limiter.
 */
import { effectiveFailureMode, type AuthFlowsOptions, type AuthUser } from 'auth-sdk-m8';
import type { ExampleServices } from './bootstrap';
import type { DemoUser } from './users';

export function flowOptions(services: ExampleServices): AuthFlowsOptions {
  const { users } = services;
  return {
    issuer: services.issuer,
    refreshPolicy: services.refreshPolicy,
    policy: services.policy,
    sessions: services.sessions,
    sessionFailureMode: effectiveFailureMode(services.settings, 'session_write'),
    rateLimit: services.rateLimit,
    loginRateLimit: services.loginRateLimit,
    findUser: (id) => toAuthUser(users.findById(id)),
    verifyCredentials: async (email, password) => toAuthUser(await users.verify(email, password)),
    hooks: services.hooks,
    logger: services.logger,
  };
}

/** The demo directory's user as the flows need it (`sub` is the user id). */
function toAuthUser(user: DemoUser | undefined): AuthUser | undefined {
  if (user === undefined) return undefined;
  const { id, ...claims } = user;
  return { sub: id, ...claims };
}
