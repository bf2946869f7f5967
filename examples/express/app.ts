/**
 * The example service's HTTP surface (DESIGN §6): an issuer (login, refresh, logout, JWKS) and
 * a consumer (me, admin) in one Express 5 app, built from the package's public pieces only.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import Joi from 'joi';
import { InvalidRequestError } from '../../lib/core/errors';
import type { AuthSettings } from '../../lib/core/settings/types';
import type { Logger, TokenPair } from '../../lib/core/types';
import { authenticate, errorHandler, jwksRouter, requireRole } from '../../lib/express';
import type { RefreshTokenPolicy } from '../../lib/security/refresh-token-policy';
import type { TokenIssuer } from '../../lib/security/token-issuer';
import type { TokenPolicy } from '../../lib/security/token-policy';
import type { DemoUser, DemoUserDirectory } from './users';

export interface ExampleServices {
  settings: AuthSettings;
  issuer: TokenIssuer;
  policy: TokenPolicy;
  refreshPolicy: RefreshTokenPolicy;
  users: DemoUserDirectory;
  logger: Logger;
  /** Present when METRICS_ENABLED=true: HTTP middleware, GET /metrics, auth counters. */
  metrics?: {
    middleware: RequestHandler;
    router: RequestHandler;
    recordLogin(result: 'success' | 'wrong_credentials' | 'inactive_user'): void;
    recordLogout(): void;
  };
}

const loginSchema = Joi.object({
  email: Joi.string().email({ tlds: false }).max(254).required(),
  password: Joi.string().min(1).max(1024).required(),
});
const refreshSchema = Joi.object({ refresh_token: Joi.string().max(8192).required() });
const logoutSchema = Joi.object({ refresh_token: Joi.string().max(8192) });

/** Build the Express app over ready services (see `bootstrap.ts` for how they are made). */
export function createApp(services: ExampleServices): Express {
  const { settings, issuer, policy, refreshPolicy, users, logger } = services;
  const accessTtlSeconds = settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
  const refreshTtlSeconds = settings.REFRESH_TOKEN_EXPIRE_MINUTES * 60;

  const app = express();
  app.disable('x-powered-by');
  if (services.metrics) app.use(services.metrics.middleware);
  app.use(express.json({ limit: '16kb' }));

  const auth = authenticate({ policy });

  app.post('/auth/login', async (req, res) => {
    const body = Joi.attempt(req.body ?? {}, loginSchema) as { email: string; password: string };
    const user = await users.verify(body.email, body.password);
    if (!user || !user.is_active) {
      services.metrics?.recordLogin(user ? 'inactive_user' : 'wrong_credentials');
      throw new InvalidRequestError('Incorrect email or password');
    }
    services.metrics?.recordLogin('success');
    const access = await issuer.issueAccessToken(claimsOf(user));
    const refresh = await issuer.issueRefreshToken({ userId: user.id });
    await refreshPolicy.register(refresh.jti, {
      userId: user.id,
      familyId: refresh.familyId,
      ttlSeconds: refreshTtlSeconds,
    });
    res.json(pair(access.token, refresh.token, accessTtlSeconds));
  });

  app.post('/auth/refresh', async (req, res) => {
    const body = Joi.attempt(req.body ?? {}, refreshSchema) as { refresh_token: string };
    const newJti = randomUUID();
    // Rotate first: of two concurrent refreshes with one token exactly one gets here.
    const rotated = await refreshPolicy.validateAndRotate(body.refresh_token, {
      newJti,
      ttlSeconds: refreshTtlSeconds,
    });
    const user = users.findById(rotated.userId);
    if (!user || !user.is_active) {
      await refreshPolicy.revoke(newJti);
      throw new InvalidRequestError('Unknown or inactive user');
    }
    const access = await issuer.issueAccessToken(claimsOf(user));
    const refresh = await issuer.issueRefreshToken({
      userId: user.id,
      familyId: rotated.familyId,
      jti: newJti,
    });
    res.json(pair(access.token, refresh.token, accessTtlSeconds));
  });

  app.post('/auth/logout', auth, async (req, res) => {
    const body = Joi.attempt(req.body ?? {}, logoutSchema) as { refresh_token?: string };
    await policy.revoke(req.auth!);
    if (body.refresh_token) {
      // An invalid or expired refresh token is useless anyway: logout still succeeds.
      const refresh = await refreshPolicy.verify(body.refresh_token).catch(() => undefined);
      if (refresh && refresh.userId === req.auth!.sub.toLowerCase()) {
        await refreshPolicy.revoke(refresh.jti);
      }
    }
    services.metrics?.recordLogout();
    res.json({ success: true, msg: 'Logged out' });
  });

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

function claimsOf(user: DemoUser) {
  return {
    sub: user.id,
    email: user.email,
    full_name: user.full_name,
    avatar: user.avatar,
    is_active: user.is_active,
    email_verified: user.email_verified,
    is_superuser: user.is_superuser,
    role: user.role,
  };
}

function pair(access: string, refresh: string, expiresIn: number): TokenPair {
  return {
    access_token: access,
    refresh_token: refresh,
    token_type: 'bearer',
    expires_in: expiresIn,
  };
}
