/**
 * Koa bridge: protects routes with the package's framework-free request pipeline
 * (`createRequestAuthenticator`) and error mapping (`toErrorResponse`), called directly from
 * Koa middleware. No fake Express req/res, no koa-passport: the same verdicts, challenges and
 * bodies as `authenticate()` and the Passport strategy.
 */
import Koa from 'koa';
import type { Context, Next } from 'koa';
import type { Logger, TokenUserData } from 'auth-sdk-m8';
import {
  createRequestAuthenticator,
  flowRouteMatcher,
  readJsonBody,
  toErrorResponse,
  type AuthFlows,
  type FlowResponse,
  type RequestAuthOptions,
} from 'auth-sdk-m8/http';

export type KoaBridgeOptions = RequestAuthOptions & {
  logger?: Logger | undefined;
  /** `createAuthFlows(...)`: serves the auth routes (`/auth/login`, `/auth/refresh`, …) when given. */
  flows?: AuthFlows | undefined;
};

export interface AuthState {
  auth?: TokenUserData;
}

export function createApp(options: KoaBridgeOptions): Koa<AuthState> {
  const authenticateRequest = createRequestAuthenticator(options);
  const app = new Koa<AuthState>();

  // Outermost: every error, thrown anywhere below, becomes the shared JSON answer.
  app.use(async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const response = toErrorResponse(err, {
        realm: authenticateRequest.realm,
        logger: options.logger,
      });
      ctx.status = response.status;
      ctx.set(response.headers);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = response.body;
    }
  });

  const requireAuth = async (ctx: Context, next: Next): Promise<void> => {
    const found = await authenticateRequest({ method: ctx.method, headers: ctx.headers });
    if (found !== undefined) ctx.state.auth = found.claims;
    await next();
  };

  // The flows are framework-free: Koa reads the request and writes their answer; the route
  // table is the package's, so these are the routes of every other adapter.
  const matchFlowRoute = flowRouteMatcher({ login: true });
  const send = (ctx: Context, answer: FlowResponse): void => {
    if (answer.setCookie.length > 0) ctx.append('Set-Cookie', answer.setCookie);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = answer.status;
    ctx.body = answer.body;
  };

  app.use(async (ctx: Context, next: Next) => {
    const flows = options.flows;
    const found = flows === undefined ? undefined : matchFlowRoute(ctx.method, ctx.path);
    if (flows !== undefined && found !== undefined) {
      const request = {
        method: ctx.method,
        headers: ctx.headers,
        body: await readJsonBody(ctx.req),
        ip: ctx.ip,
      };
      send(ctx, await found.route.run(flows, request, found.params));
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/me' && (ctx.method === 'GET' || ctx.method === 'POST')) {
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
