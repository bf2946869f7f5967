/**
 * Koa bridge: protects routes with the package's framework-free request pipeline
 * (`createRequestAuthenticator`) and error mapping (`toErrorResponse`), called directly from
 * Koa middleware. No fake Express req/res, no koa-passport: the same verdicts, challenges and
 * bodies as `authenticate()` and the Passport strategy.
 */
import Koa from 'koa';
import type { Context, Next } from 'koa';
import {
  createRequestAuthenticator,
  toErrorResponse,
  type AuthFlows,
  type FlowResponse,
  type Logger,
  type RequestAuthOptions,
  type TokenUserData,
} from 'auth-sdk-m8';

export type KoaBridgeOptions = RequestAuthOptions & {
  logger?: Logger | undefined;
  /** `createAuthFlows(...)`: serves POST /auth/refresh and /auth/logout when given. */
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

  // The flows are framework-free: Koa reads the request and writes their answer.
  const flow = async (
    ctx: Context,
    run: (r: Parameters<AuthFlows['refresh']>[0]) => Promise<FlowResponse>,
  ) => {
    const answer = await run({
      method: ctx.method,
      headers: ctx.headers,
      body: await jsonBody(ctx),
      ip: ctx.ip,
    });
    if (answer.setCookie.length > 0) ctx.append('Set-Cookie', answer.setCookie);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = answer.status;
    ctx.body = answer.body;
  };

  app.use(async (ctx: Context, next: Next) => {
    const flows = options.flows;
    if (flows && ctx.method === 'POST' && ctx.path === '/auth/refresh') {
      await flow(ctx, flows.refresh);
      return;
    }
    if (flows && ctx.method === 'POST' && ctx.path === '/auth/logout') {
      await flow(ctx, flows.logout);
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

/** The JSON body (Koa has no body parser of its own): 16 KiB at most, malformed JSON is a 400. */
async function jsonBody(ctx: Context): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) {
      throw Object.assign(new Error('request body too large'), {
        type: 'entity.too.large',
        status: 413,
      });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw Object.assign(new Error('malformed JSON body'), {
      type: 'entity.parse.failed',
      status: 400,
    });
  }
}
