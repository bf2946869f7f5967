/**
 * createRefreshStrategy gives the verdicts of refreshHandler: the same status and body for a
 * valid, missing, forged, reused and rate-limited refresh token, through real HTTP.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Passport } from 'passport';
import { errorHandler, refreshHandler } from 'auth-sdk-m8/express';
import { createRefreshStrategy } from 'auth-sdk-m8/passport';
import { RefreshRateLimiter, createAuthFlows, type AuthFlows, type AuthUser } from 'auth-sdk-m8';
import { MemoryRateLimitStore } from 'auth-sdk-m8/stores/memory';
import { hsFlowParts, quietLogger as quiet } from '../../helpers/flow-parts';
const USER: AuthUser = { sub: randomUUID(), email: 'p@example.com', is_active: true };

function makeFlows(): AuthFlows {
  return createAuthFlows({
    ...hsFlowParts({ refresh: { graceSeconds: 0 } }),
    rateLimit: new RefreshRateLimiter({
      store: new MemoryRateLimitStore(),
      perFamily: { max: 2, windowSeconds: 60 },
      logger: quiet,
    }),
    findUser: () => USER,
    verifyCredentials: async () => USER,
    logger: quiet,
  });
}

async function serve(app: express.Express): Promise<{ base: string; close: () => void }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('createRefreshStrategy (jwt-refresh) and refreshHandler give the same verdicts', () => {
  it('answers valid, missing, forged, reused and rate-limited tokens alike', async () => {
    const viaHandler = makeFlows();
    const viaPassport = makeFlows();
    const handlerApp = express();
    handlerApp.use(express.json());
    handlerApp.post('/auth/refresh', refreshHandler(viaHandler));
    handlerApp.use(errorHandler({ logger: quiet }));
    const passport = new Passport();
    passport.use(createRefreshStrategy({ flows: viaPassport }));
    const passportApp = express();
    passportApp.use(express.json());
    passportApp.use(passport.initialize());
    passportApp.post(
      '/auth/refresh',
      passport.authenticate('jwt-refresh', { session: false, failWithError: true }),
      (req, res) => {
        res.json(req.authInfo);
      },
    );
    passportApp.use(errorHandler({ logger: quiet }));
    const a = await serve(handlerApp);
    const b = await serve(passportApp);
    try {
      const loginA = (
        await viaHandler.login({
          method: 'POST',
          headers: {},
          body: { email: USER.email, password: 'x' },
        })
      ).body as { refresh_token: string };
      const loginB = (
        await viaPassport.login({
          method: 'POST',
          headers: {},
          body: { email: USER.email, password: 'x' },
        })
      ).body as { refresh_token: string };
      const post = async (base: string, body: unknown) => {
        const res = await fetch(`${base}/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as Record<string, unknown>;
        // Token values differ between the two services; their presence and shape must not.
        for (const key of ['access_token', 'refresh_token']) {
          if (typeof json[key] === 'string') json[key] = 'TOKEN';
        }
        return {
          status: res.status,
          challenge: res.headers.get('www-authenticate'),
          retryAfter: res.headers.get('retry-after'),
          body: json,
        };
      };
      const both = async (bodyA: unknown, bodyB: unknown) => {
        const [x, y] = await Promise.all([post(a.base, bodyA), post(b.base, bodyB)]);
        expect(y).toEqual(x);
        return x;
      };
      const first = await both(
        { refresh_token: loginA.refresh_token },
        { refresh_token: loginB.refresh_token },
      );
      expect(first.status).toBe(200);
      expect((await both({}, {})).status).toBe(401);
      expect((await both({ refresh_token: 'a.b.c' }, { refresh_token: 'a.b.c' })).status).toBe(401);
      const reused = await both(
        { refresh_token: loginA.refresh_token },
        { refresh_token: loginB.refresh_token },
      );
      expect(reused.status).toBe(401);
      expect(reused.body.msg).toBe('Refresh token already used or revoked');
      // The family limit is 2 per minute: the third try of the same family is refused.
      const limited = await both(
        { refresh_token: loginA.refresh_token },
        { refresh_token: loginB.refresh_token },
      );
      expect(limited.status).toBe(429);
      expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('createRefreshStrategy with a verify callback', () => {
  it('shapes req.user from the new pair; a falsy user is a 401', async () => {
    const flows = makeFlows();
    const passport = new Passport();
    let refuse = false;
    passport.use(
      createRefreshStrategy({ flows }, (pair, done) =>
        refuse ? done(null, false) : done(null, { expiresIn: pair.expires_in }),
      ),
    );
    const app = express();
    app.use(express.json());
    app.use(passport.initialize());
    app.post(
      '/auth/refresh',
      passport.authenticate('jwt-refresh', { session: false, failWithError: true }),
      (req, res) => {
        res.json({ user: req.user, pair: Object.keys(req.authInfo as object).sort() });
      },
    );
    app.use(errorHandler({ logger: quiet }));
    const served = await serve(app);
    const refresh = async (token: string) =>
      fetch(`${served.base}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      });
    try {
      const login = await flows.login({
        method: 'POST',
        headers: {},
        body: { email: USER.email, password: 'x' },
      });
      const first = await refresh((login.body as { refresh_token: string }).refresh_token);
      expect(first.status).toBe(200);
      const body = (await first.json()) as { user: unknown; pair: string[] };
      expect(body.user).toEqual({ expiresIn: expect.any(Number) });
      expect(body.pair).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      refuse = true;
      const again = await flows.login({
        method: 'POST',
        headers: {},
        body: { email: USER.email, password: 'x' },
      });
      const refused = await refresh((again.body as { refresh_token: string }).refresh_token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      served.close();
    }
  });
});

describe('createRefreshStrategy with a verify callback, in cookie mode', () => {
  it('sets the new refresh cookie only when verify accepts: a refused pair never reaches the client', async () => {
    const flows = createAuthFlows({
      ...hsFlowParts({ refresh: { graceSeconds: 0 } }),
      findUser: () => USER,
      verifyCredentials: async () => USER,
      loginRateLimit: false,
      cookies: {
        settings: {
          ACCESS_TOKEN_EXPIRE_MINUTES: 30,
          REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 3600,
          SESSION_COOKIE_SECURE: false,
          ALLOWED_ORIGINS: ['http://app.example.test'],
        },
      },
      logger: quiet,
    });
    const passport = new Passport();
    let refuse = false;
    passport.use(
      createRefreshStrategy({ flows }, (_pair, done) =>
        refuse ? done(null, false) : done(null, { sub: USER.sub }),
      ),
    );
    const app = express();
    app.use(passport.initialize());
    app.post(
      '/auth/refresh',
      passport.authenticate('jwt-refresh', { session: false, failWithError: true }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.use(errorHandler({ logger: quiet }));
    const served = await serve(app);
    const refreshCookieOfLogin = async (): Promise<string> => {
      const login = await flows.login({
        method: 'POST',
        headers: { origin: 'http://app.example.test', 'content-type': 'application/json' },
        body: { email: USER.email, password: 'x' },
      });
      const cookie = login.setCookie.find((c) => c.startsWith('refresh_token='));
      expect(cookie).toBeDefined();
      return cookie!.split(';')[0]!;
    };
    const refresh = (cookie: string) =>
      fetch(`${served.base}/auth/refresh`, {
        method: 'POST',
        headers: { cookie, origin: 'http://app.example.test' },
      });
    try {
      const accepted = await refresh(await refreshCookieOfLogin());
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get('set-cookie')).toContain('refresh_token=');
      refuse = true;
      const refused = await refresh(await refreshCookieOfLogin());
      expect(refused.status).toBe(401);
      expect(refused.headers.get('set-cookie')).toBeNull();
    } finally {
      served.close();
    }
  });
});
