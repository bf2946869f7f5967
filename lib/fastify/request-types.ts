/**
 * Types `request.auth`, `request.user`, `fastify.authenticate` and `fastify.requireRole` by
 * declaration merging, as Fastify's TypeScript guide asks of a plugin. `request.user` is also
 * declared by @fastify/jwt and @fastify/passport, with other types: an app uses one of them.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { RoleName, TokenUserData, UserModel } from '../core/types';

/** A preHandler of this plugin: callback style, so a route may list several in an array. */
export type AuthPreHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** The validated access-token claims, set by `fastify.authenticate`. */
    auth?: TokenUserData | undefined;
    /** The user built from the claims (`UserModel`), set next to `request.auth`. */
    user?: UserModel | undefined;
  }

  interface FastifyInstance {
    /**
     * preHandler authenticating the request's access token (the options of `authPlugin`):
     * `request.auth` and `request.user` on success; a typed 400/401/403/503 error otherwise.
     */
    authenticate: AuthPreHandler;
    /** preHandler allowing the request only when `request.auth.role` is at least `role`. */
    requireRole(role: RoleName): AuthPreHandler;
  }
}
