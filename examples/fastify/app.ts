/**
 * The example service's HTTP surface on Fastify 5: the same issuer (login, refresh, logout,
 * sessions, JWKS) and consumer (me, admin) as `examples/express`, built from the package's
 * public pieces only. Everything under /auth and the JWKS come from `authPlugin`; the app
 * writes only its user directory and its own routes.
 */
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { authErrorHandler, authPlugin } from 'auth-sdk-m8/fastify';
import { sendErrorResponse, toErrorResponse } from 'auth-sdk-m8/http';
import type { ExampleServices, LoadedMetrics } from '../common/bootstrap';
import { flowOptions } from '../common/flow-options';

export type { ExampleServices } from '../common/bootstrap';

/** Build the Fastify app over ready services (see `bootstrap.ts` for how they are made). */
export async function createApp(services: ExampleServices): Promise<FastifyInstance> {
  const { issuer, policy, logger } = services;
  const app = Fastify();
  if (services.metrics) addMetrics(app, services.metrics, services);

  await app.register(authPlugin, {
    policy,
    routes: flowOptions(services),
    jwks: issuer,
  });
  app.setErrorHandler(authErrorHandler({ logger }));
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({
      success: false,
      msg: 'Not Found.',
      from_error: 'NotFound',
      errors: [],
      status_code: 404,
    }),
  );

  // User data is personal: never cached (Fastify sends no ETag unless a plugin adds one).
  app.get('/auth/me', { preHandler: app.authenticate }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    return request.user;
  });
  app.get(
    '/admin',
    { preHandler: [app.authenticate, app.requireRole('admin')] },
    async (request) => ({
      success: true,
      msg: `Welcome, ${request.user!.email}`,
      role: request.auth!.role,
    }),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}

/**
 * HTTP metrics for every request (the route pattern as the endpoint label) and
 * `GET /metrics`, both from `auth-sdk-m8/metrics`, which works on Node's request and response.
 */
function addMetrics(app: FastifyInstance, metrics: LoadedMetrics, services: ExampleServices): void {
  const record = metrics.module.metricsMiddleware(metrics.setup);
  app.addHook('onRequest', (request, reply, done) => {
    // The middleware labels a request by `req.route.path` when a router matched one.
    const pattern = request.routeOptions.url;
    if (pattern !== undefined) (request.raw as RoutedRequest).route = { path: pattern };
    record(request.raw, reply.raw, () => done());
  });
  // Fixed at GET /metrics: the example's routes carry no API_PREFIX.
  const scrape = metrics.module.metricsRouter(metrics.setup, { path: '/metrics' });
  app.get('/metrics', (request, reply) => {
    reply.hijack(); // the router writes the Prometheus text to the Node response itself
    scrape(request.raw, reply.raw, (err) =>
      sendErrorResponse(reply.raw, toErrorResponse(err, { logger: services.logger })),
    );
  });
}

type RoutedRequest = IncomingMessage & { route?: { path: string } };
