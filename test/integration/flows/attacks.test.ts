/**
 * The flows attacked over real HTTP, on every store backend (OWASP ASVS 5 V6 authentication,
 * V7 session management; RFC 9700 §4.14): a cross-site login form, an older access token at
 * logout, another device's refresh token.
 */
import { describeWithService } from '../../helpers/services';
import { backends } from './backends';
import { ALICE, PASSWORD, call, harness, login, me, refresh, type Harness } from './harness';

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
  });
}
