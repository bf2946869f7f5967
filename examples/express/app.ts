/**
 * The example service's HTTP surface: an issuer (login, refresh, logout, sessions, JWKS) and a
 * consumer (me, admin) in one Express 5 app, built from the package's public pieces only.
 * Everything under /auth is `authRoutes()`; the app writes only its user directory.
 */
import express from 'express';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import {
  effectiveFailureMode,
  type AuthSettings,
  type AuthUser,
  type Logger,
  type RefreshRateLimiter,
  type RefreshTokenPolicy,
  type SessionStore,
  type TokenIssuer,
  type TokenPolicy,
  type ValidationHooks,
} from 'auth-sdk-m8';
import {
  authenticate,
  authRoutes,
  errorHandler,
  jwksRouter,
  requireRole,
} from 'auth-sdk-m8/express';
import type { DemoUser, DemoUserDirectory } from './users';

export interface ExampleServices {
  settings: AuthSettings;
  issuer: TokenIssuer;
  policy: TokenPolicy;
  refreshPolicy: RefreshTokenPolicy;
  sessions: SessionStore;
  rateLimit: RefreshRateLimiter;
  users: DemoUserDirectory;
  logger: Logger;
  hooks?: ValidationHooks | undefined;
  /** Present when METRICS_ENABLED=true: HTTP middleware and GET /metrics. */
  metrics?: { middleware: RequestHandler; router: RequestHandler } | undefined;
}

/** Build the Express app over ready services (see `bootstrap.ts` for how they are made). */
export function createApp(services: ExampleServices): Express {
  const { settings, issuer, policy, refreshPolicy, users, logger } = services;
  const app = express();
  app.disable('x-powered-by');
  if (services.metrics) app.use(services.metrics.middleware);
  app.use(express.json({ limit: '16kb' }));

  app.use(
    authRoutes({
      issuer,
      refreshPolicy,
      policy,
      sessions: services.sessions,
      sessionFailureMode: effectiveFailureMode(settings, 'session_write'),
      rateLimit: services.rateLimit,
      findUser: (id) => toAuthUser(users.findById(id)),
      verifyCredentials: async (email, password) => toAuthUser(await users.verify(email, password)),
      hooks: services.hooks,
      logger,
    }),
  );

  const auth = authenticate({ policy });
  app.get('/auth/me', auth, (req, res) => {
    res.json(req.user);
  });
  app.get('/admin', auth, requireRole('admin'), (req, res) => {
    res.json({ success: true, msg: `Welcome, ${req.user!.email}`, role: req.auth!.role });
  });

  app.use(jwksRouter(issuer));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (services.metrics) app.use(services.metrics.router);

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

/** The demo directory's user as the flows need it (`sub` is the user id). */
function toAuthUser(user: DemoUser | undefined): AuthUser | undefined {
  if (user === undefined) return undefined;
  const { id, ...claims } = user;
  return { sub: id, ...claims };
}
