/**
 * Koa bridge: protects a route with the framework-free core — `extractToken`, a `TokenPolicy`
 * and `toErrorResponse` — called directly from Koa middleware. No fake Express req/res, no
 * koa-passport: the same verdicts and bodies as the Express adapter.
 */
import Koa from 'koa';
import type { Context, Next } from 'koa';
import { DEFAULT_REALM, InvalidTokenError, Messages } from '../../lib/core/errors';
import { toErrorResponse } from '../../lib/core/error-response';
import { extractToken } from '../../lib/core/extract-token';
import type { Logger, TokenUserData } from '../../lib/core/types';

export interface KoaBridgeOptions {
  /** A `TokenPolicy` (or anything with `validate(token)`). */
  policy: { validate(token: string): Promise<TokenUserData> };
  realm?: string;
  logger?: Logger;
}

export interface AuthState {
  auth?: TokenUserData;
}

export function createApp(options: KoaBridgeOptions): Koa<AuthState> {
  const realm = options.realm ?? DEFAULT_REALM;
  const app = new Koa<AuthState>();

  // Outermost: every error, thrown anywhere below, becomes the shared JSON answer.
  app.use(async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const response = toErrorResponse(err, { realm, logger: options.logger });
      ctx.status = response.status;
      ctx.set(response.headers);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = response.body;
    }
  });

  const requireAuth = async (ctx: Context, next: Next): Promise<void> => {
    const found = extractToken({ headers: ctx.headers }, { realm });
    if (!found)
      throw new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm });
    ctx.state.auth = await options.policy.validate(found.token);
    await next();
  };

  app.use(async (ctx: Context, next: Next) => {
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/me') {
      await requireAuth(ctx, async () => {
        const auth = ctx.state.auth as TokenUserData;
        ctx.body = { id: auth.sub, email: auth.email, role: auth.role };
      });
      return;
    }
    await next();
  });

  return app;
}
