/**
 * `auth-sdk-m8/fastify`: a Fastify 5 plugin over the framework-free request pipeline and auth
 * flows. Importing this entry also types `request.auth`, `request.user`,
 * `fastify.authenticate` and `fastify.requireRole`.
 */
import './request-types';

export { authPlugin, type AuthPluginOptions } from './plugin';
export { authErrorHandler } from './error-handler';
export type { FlowRoutesOptions } from './flow-routes';
export type { JwksSource } from './jwks-route';
export type { AuthPreHandler } from './request-types';
