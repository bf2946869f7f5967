/**
 * The example service's HTTP surface: an issuer (login, refresh, logout, sessions, JWKS) and a
 * consumer (me, admin) in one Express 5 app, built from the package's public pieces only.
 * Everything under /auth is `authRoutes()`; the app writes only its user directory.
 */
import express from 'express';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import {
  authenticate,
  authRoutes,
  errorHandler,
  jwksRouter,
  requireRole,
} from 'auth-sdk-m8/express';
import type { ExampleServices } from '../common/bootstrap';
import { flowOptions } from '../common/flow-options';

export type { ExampleServices } from '../common/bootstrap';

/** Build the Express app over ready services (see `bootstrap.ts` for how they are made). */
export function createApp(services: ExampleServices): Express {
  const { issuer, policy, logger } = services;
  const app = express();
  app.disable('x-powered-by');
  // User data is personal: no ETag revalidation, no caching (ASVS 5 V14 data protection).
  app.set('etag', false);
  const metrics = services.metrics;
  if (metrics) app.use(metrics.module.metricsMiddleware(metrics.setup) as RequestHandler);
  app.use(express.json({ limit: '16kb' }));

  app.use(authRoutes(flowOptions(services)));

  const auth = authenticate({ policy });
  app.get('/auth/me', auth, (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json(req.user);
  });
  app.get('/admin', auth, requireRole('admin'), (req, res) => {
    res.json({ success: true, msg: `Welcome, ${req.user!.email}`, role: req.auth!.role });
  });

  app.use(jwksRouter(issuer));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Fixed at GET /metrics: the example's routes carry no API_PREFIX.
  if (metrics)
    app.use(metrics.module.metricsRouter(metrics.setup, { path: '/metrics' }) as RequestHandler);

  app.use((_req: Request, res: Response, _next: NextFunction) => {
    res.status(404).json({
      success: false,
      msg: 'Not Found.',
      from_error: 'NotFound',
      errors: [],
      status_code: 404,
    });
  });
  app.use(errorHandler({ logger }));
  return app;
}
