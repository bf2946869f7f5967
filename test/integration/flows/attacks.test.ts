/**
 * The flows attacked over real HTTP, on every store backend (OWASP ASVS 5 V6 authentication,
 * V7 session management; RFC 9700 §4.14): a cross-site login form, an older access token at
 * logout, another device's refresh token.
 */
import { LoginRateLimiter } from 'auth-sdk-m8';
import { describeWithService } from '../../helpers/services';
import { backends } from './backends';
import {
  ALICE,
  BOB,
  PASSWORD,
  call,
  harness,
  login,
  me,
  quiet,
  refresh,
  type Harness,
} from './harness';

/** The `jti` of a JWT (unverified: the test reads what the flows signed). */
const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string })
    .jti;

/** A session with three access tokens: A1 (login), A2 and A3 (two refreshes). */
async function threeAccessTokens(h: Harness, agent: string) {
  const a1 = (await login(h, ALICE, agent)).body;
  const a2 = (await refresh(h, a1.refresh_token)).body;
  const a3 = (await refresh(h, a2.refresh_token)).body;
  return { access: [a1.access_token, a2.access_token, a3.access_token], last: a3 };
}

const COOKIE_SETTINGS = {
  ACCESS_TOKEN_EXPIRE_MINUTES: 30,
  REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 3600,
  SESSION_COOKIE_SECURE: false,
  ALLOWED_ORIGINS: ['http://app.example.test'],
};

async function raw(h: Harness, path: string, init: RequestInit): Promise<Response> {
  return fetch(`${h.base}${path}`, { method: 'POST', ...init });
}

for (const backend of backends) {
  const title = `the flows attacked, on ${backend.name}`;
  const suite = (body: () => void): void =>
    backend.service === undefined
      ? describe(title, body)
      : describeWithService(backend.service, title, body);

  suite(() => {
    describe('login CSRF (ASVS 5 V3.5: no state change from a cross-site form)', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(backend, { cookies: { settings: COOKIE_SETTINGS } });
      });
      afterAll(async () => {
        await h.close();
      });
      const credentials = JSON.stringify({ email: ALICE.email, password: PASSWORD });

      it.each([
        ['text/plain (a <form enctype="text/plain">)', { 'content-type': 'text/plain' }],
        ['a urlencoded form', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['no content type', {}],
      ])('answers 415 to a JSON body sent as %s, and sets no cookie', async (_name, headers) => {
        const res = await raw(h, '/auth/login', {
          headers: { ...headers, origin: 'https://evil.example' },
          body: credentials,
        });
        expect(res.status).toBe(415);
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(await res.json()).toMatchObject({ success: false, status_code: 415 });
      });

      it('refuses a JSON login from a foreign Origin in cookie mode (403), accepts ours', async () => {
        const json = { 'content-type': 'application/json' };
        const foreign = await raw(h, '/auth/login', {
          headers: { ...json, origin: 'https://evil.example' },
          body: credentials,
        });
        expect(foreign.status).toBe(403);
        expect(foreign.headers.get('set-cookie')).toBeNull();
        const ours = await raw(h, '/auth/login', {
          headers: { ...json, origin: 'http://app.example.test' },
          body: credentials,
        });
        expect(ours.status).toBe(200);
        expect(ours.headers.get('set-cookie')).toMatch(/refresh_token=/);
      });

      it('refreshes from the cookie as the README writes cookie mode (settings origins)', async () => {
        const logged = await raw(h, '/auth/login', {
          headers: { 'content-type': 'application/json', origin: 'http://app.example.test' },
          body: credentials,
        });
        const cookie = logged.headers.get('set-cookie')!.split(';')[0]!;
        const noOrigin = await raw(h, '/auth/refresh', { headers: { cookie } });
        expect(noOrigin.status).toBe(403); // a cookie alone proves nothing
        const ours = await raw(h, '/auth/refresh', {
          headers: { cookie, origin: 'http://app.example.test' },
        });
        expect(ours.status).toBe(200);
      });
    });

    describe('logout', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(backend);
      });
      afterAll(async () => {
        await h.close();
      });

      it('with an older access token of the session ends it: the newest tokens die too', async () => {
        const first = (await login(h, ALICE)).body; // A1 / R1
        const second = (await refresh(h, first.refresh_token)).body; // A2 / R2
        const out = await call(h, 'POST', '/auth/logout', { token: first.access_token });
        expect(out.status).toBe(200);
        expect((await refresh(h, second.refresh_token)).status).toBe(401);
        expect((await me(h, second.access_token)).status).toBe(401);
        expect((await me(h, first.access_token)).status).toBe(401);
      });

      it("with another device's refresh token in the body: 400, and nothing ends", async () => {
        const x = (await login(h, ALICE, 'device-x')).body;
        const y = (await login(h, ALICE, 'device-y')).body;
        const out = await call(h, 'POST', '/auth/logout', {
          token: x.access_token,
          body: { refresh_token: y.refresh_token },
        });
        expect(out.status).toBe(400);
        expect((await me(h, x.access_token)).status).toBe(200);
        expect((await refresh(h, y.refresh_token)).status).toBe(200);
        expect((await refresh(h, x.refresh_token)).status).toBe(200);
      });
    });

    describe('ending a session ends every access token it issued (ASVS 5 V7.4.1)', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(backend, { sessionFailureMode: 'fail_closed' });
      });
      afterAll(async () => {
        await h.close();
      });

      /** Refused by our consumers, and blacklisted where a Python consumer reads it. */
      async function expectAllDead(access: string[]): Promise<void> {
        for (const token of access) {
          expect((await me(h, token)).status).toBe(401);
          await expect(h.stores.blacklisted(jtiOf(token))).resolves.toBe(true);
        }
      }

      it('logout', async () => {
        const s = await threeAccessTokens(h, 'logout');
        await call(h, 'POST', '/auth/logout', { token: s.last.access_token });
        await expectAllDead(s.access);
      });

      it('DELETE /auth/sessions/:id', async () => {
        const s = await threeAccessTokens(h, 'deleted');
        const other = (await login(h, ALICE, 'other')).body;
        const res = await call(h, 'DELETE', `/auth/sessions/${s.last.session_id}`, {
          token: other.access_token,
        });
        expect(res.status).toBe(200);
        await expectAllDead(s.access);
        expect((await me(h, other.access_token)).status).toBe(200);
      });

      it('logout-all', async () => {
        const x = await threeAccessTokens(h, 'x');
        const y = await threeAccessTokens(h, 'y');
        await call(h, 'POST', '/auth/logout-all', { token: x.last.access_token });
        await expectAllDead([...x.access, ...y.access]);
      });

      it("an administrator's endUserSessions (authRoutes().flows, ASVS 5 V7.4.5)", async () => {
        const x = await threeAccessTokens(h, 'admin-x');
        const y = await threeAccessTokens(h, 'admin-y');
        const bob = (await login(h, BOB, 'bystander')).body;
        await expect(h.flows.endUserSessions(ALICE.sub)).resolves.toBeGreaterThanOrEqual(2);
        await expectAllDead([...x.access, ...y.access]);
        expect((await refresh(h, x.last.refresh_token)).status).toBe(401);
        expect((await me(h, bob.access_token)).status).toBe(200);
      });

      it('theft: a rotated token presented after the grace', async () => {
        const s = (await login(h, BOB, 'victim')).body;
        const a2 = (await refresh(h, s.refresh_token)).body;
        h.clock.advance(11_000); // past REFRESH_GRACE_SECONDS
        const stolen = await refresh(h, s.refresh_token);
        expect(stolen.status).toBe(401);
        expect(stolen.body.errors).toEqual([expect.objectContaining({ error: 'reused' })]);
        await expectAllDead([s.access_token, a2.access_token]);
      });
    });

    describe('theft means theft (a logged-out session is not a stolen one)', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(backend);
      });
      afterAll(async () => {
        await h.close();
      });

      it("a second tab refreshing after a logout in the first is told 'revoked', not 'reused'", async () => {
        const s = (await login(h, ALICE, 'tabs')).body;
        await call(h, 'POST', '/auth/logout', { token: s.access_token });
        const tab2 = await refresh(h, s.refresh_token);
        expect(tab2.status).toBe(401);
        expect(tab2.body.errors).toEqual([expect.objectContaining({ error: 'revoked' })]);
      });

      it("an old rotated token of a logged-out session is 'revoked' too", async () => {
        const s = (await login(h, ALICE, 'old')).body;
        const next = (await refresh(h, s.refresh_token)).body;
        await call(h, 'POST', '/auth/logout', { token: next.access_token });
        h.clock.advance(11_000);
        const old = await refresh(h, s.refresh_token);
        expect(old.body.errors).toEqual([expect.objectContaining({ error: 'revoked' })]);
      });
    });

    describe('a refresh racing a logout', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(backend);
      });
      afterAll(async () => {
        await h.close();
      });

      // Measured: about one round in six, the refresh wins the race and answers a new pair.
      const rounds = backend.name === 'memory' || backend.name === 'redis' ? 50 : 10;
      it(`leaves no live token, in ${rounds} rounds`, async () => {
        const alive: string[] = [];
        for (let round = 0; round < rounds; round++) {
          const s = (await login(h, ALICE, `race-${round}`)).body;
          const [rotated] = await Promise.all([
            refresh(h, s.refresh_token),
            call(h, 'POST', '/auth/logout', { token: s.access_token }),
          ]);
          const refreshTokens = [s.refresh_token];
          const accessTokens = [s.access_token];
          if (rotated.status === 200) {
            refreshTokens.push(rotated.body.refresh_token);
            accessTokens.push(rotated.body.access_token);
          }
          for (const token of accessTokens) {
            if ((await me(h, token)).status !== 401) alive.push(`round ${round}: access`);
          }
          for (const token of refreshTokens) {
            if ((await refresh(h, token)).status !== 401) alive.push(`round ${round}: refresh`);
          }
        }
        expect(alive).toEqual([]);
      });
    });

    describe("brute force on login (ASVS 5 V6.3.1), on the backend's own RateLimitStore", () => {
      let h: Harness;
      let spray: Harness;
      beforeAll(async () => {
        h = await harness(backend, (stores) => ({
          loginRateLimit: new LoginRateLimiter({
            store: stores.rateLimit,
            perIp: false,
            logger: quiet,
          }),
        }));
        spray = await harness(backend, (stores) => ({
          loginRateLimit: new LoginRateLimiter({
            store: stores.rateLimit,
            perAccount: { max: 100, windowSeconds: 900 },
            perIp: { max: 20, windowSeconds: 900 },
            logger: quiet,
          }),
        }));
      });
      afterAll(async () => {
        await h.close();
        await spray.close();
      });

      const tryLogin = async (target: Harness, email: string, password: string) => {
        const res = await call(target, 'POST', '/auth/login', { body: { email, password } });
        return { status: res.status, body: res.body, retryAfter: res.headers.get('retry-after') };
      };

      it('answers 429 with Retry-After after 5 failures, even to the right password', async () => {
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) seen.push((await tryLogin(h, BOB.email, 'wrong')).status);
        expect(seen).toEqual([400, 400, 400, 400, 400]);
        const limited = await tryLogin(h, BOB.email, PASSWORD);
        expect(limited.status).toBe(429);
        expect(Number(limited.retryAfter)).toBeGreaterThan(800);
        expect(limited.body).toMatchObject({ success: false, status_code: 429 });
      });

      it('answers an unknown account exactly as a known one', async () => {
        const known: unknown[] = [];
        const unknown: unknown[] = [];
        for (let i = 0; i < 7; i++) {
          const k = await tryLogin(h, ALICE.email, 'wrong');
          const u = await tryLogin(h, 'nobody@example.com', 'wrong');
          known.push([k.status, k.body, k.retryAfter === null]);
          unknown.push([u.status, u.body, u.retryAfter === null]);
        }
        expect(unknown).toEqual(known);
        expect(known.slice(5).map((a) => (a as number[])[0])).toEqual([429, 429]);
      });

      it('limits one client spraying many accounts (per IP)', async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 22; i++) {
          statuses.push((await tryLogin(spray, `victim-${i}@example.com`, 'wrong')).status);
        }
        expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
        expect(statuses.slice(20)).toEqual([429, 429]);
      });
    });
  });
}
