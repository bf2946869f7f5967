/**
 * The auth flows through real HTTP on every store backend: sessions, revocation of one device,
 * logout everywhere, theft detection, benign concurrency inside the grace, the refresh rate
 * limiter and the session listing.
 */
import { describeWithService } from '../../helpers/services';
import { backends } from './backends';
import type { AuthUser } from 'auth-sdk-m8';
import {
  ALICE,
  BOB,
  CAROL,
  call,
  harness,
  login,
  me,
  refresh,
  type Answer,
  type Harness,
} from './harness';

for (const backend of backends) {
  const title = `auth flows over HTTP on ${backend.name}`;
  const suite = (body: () => void): void =>
    backend.service === undefined
      ? describe(title, body)
      : describeWithService(backend.service, title, body);
  suite(() => {
    {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(backend);
      });
      afterAll(async () => {
        await h.close();
      });

      it('logs in with the Python body, refuses wrong credentials with 400', async () => {
        const ok = await login(h, ALICE);
        expect(ok.status).toBe(200);
        expect(ok.body).toEqual({
          access_token: expect.any(String),
          refresh_token: expect.any(String),
          token_type: 'bearer',
          expires_in: 1800,
          session_id: expect.any(String),
        });
        expect(ok.headers.get('cache-control')).toBe('no-store');
        const bad = await call(h, 'POST', '/auth/login', {
          body: { email: ALICE.email, password: 'wrong' },
        });
        expect(bad.status).toBe(400);
        expect(bad.body.msg).toBe('Incorrect email or password');
      });

      it('two logins are two sessions; revoking one locks out exactly that device', async () => {
        const laptop = (await login(h, BOB, 'laptop')).body;
        const phone = (await login(h, BOB, 'phone')).body;
        const listed = await call(h, 'GET', '/auth/sessions', { token: laptop.access_token });
        expect(listed.status).toBe(200);
        const mine = listed.body.filter((s: { id: string }) =>
          [laptop.session_id, phone.session_id].includes(s.id),
        );
        expect(mine).toHaveLength(2);
        const text = JSON.stringify(listed.body);
        // Never a token or a hash in a listing.
        for (const secret of [laptop.access_token, laptop.refresh_token, phone.refresh_token]) {
          expect(text).not.toContain(secret);
        }
        expect(text).not.toMatch(/[0-9a-f]{64}/);
        expect(listed.body.find((s: { id: string }) => s.id === laptop.session_id)).toEqual({
          id: laptop.session_id,
          provider: 'password',
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          last_used_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          user_agent: 'laptop',
          ip: expect.any(String),
          expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          current: true,
        });
        expect(listed.body.find((s: { id: string }) => s.id === phone.session_id).current).toBe(
          false,
        );

        const revoked = await call(h, 'DELETE', `/auth/sessions/${phone.session_id}`, {
          token: laptop.access_token,
        });
        expect(revoked.status).toBe(200);
        expect((await me(h, phone.access_token)).status).toBe(401);
        expect((await refresh(h, phone.refresh_token)).status).toBe(401);
        expect((await me(h, laptop.access_token)).status).toBe(200);
        expect((await refresh(h, laptop.refresh_token)).status).toBe(200);
      });

      it('refuses the refresh of a deactivated user before rotating; the session ends with it', async () => {
        CAROL.is_active = true;
        const s = (await login(h, CAROL)).body;
        expect((await me(h, s.access_token)).status).toBe(200);
        CAROL.is_active = false;
        try {
          const refused = await refresh(h, s.refresh_token);
          expect(refused.status).toBe(400);
          expect(refused.body.msg).toBe('Unknown or inactive user');
        } finally {
          CAROL.is_active = true;
        }
        // The session's access token ends with it (blacklisted, for Python consumers too).
        expect((await me(h, s.access_token)).status).toBe(401);
        // Reactivated, the same token is still refused: it was revoked (not a theft signal).
        const dead = await refresh(h, s.refresh_token);
        expect(dead.status).toBe(401);
        expect(dead.body.errors).toEqual([expect.objectContaining({ error: 'revoked' })]);
        const again = (await login(h, CAROL)).body;
        expect((await refresh(h, again.refresh_token)).status).toBe(200);
      });

      it("answers another user's session id with 404", async () => {
        const alice = (await login(h, ALICE)).body;
        const bob = (await login(h, BOB)).body;
        const res = await call(h, 'DELETE', `/auth/sessions/${alice.session_id}`, {
          token: bob.access_token,
        });
        expect(res.status).toBe(404);
        expect((await me(h, alice.access_token)).status).toBe(200);
      });

      it('logout ends the caller’s access token, refresh token and session', async () => {
        const s = (await login(h, ALICE)).body;
        const out = await call(h, 'POST', '/auth/logout', {
          token: s.access_token,
          body: { refresh_token: s.refresh_token },
        });
        expect(out.status).toBe(200);
        expect(out.body).toEqual({ success: true, msg: 'Logged out' });
        expect((await me(h, s.access_token)).status).toBe(401);
        expect((await refresh(h, s.refresh_token)).status).toBe(401);
        const listed = await h.stores.sessions.list(ALICE.sub);
        expect(listed.map((x) => x.id)).not.toContain(s.session_id);
      });

      it('logout-all locks out every device of the caller', async () => {
        const user: AuthUser = { ...ALICE };
        const a = (await login(h, user)).body;
        const b = (await login(h, user)).body;
        const out = await call(h, 'POST', '/auth/logout-all', { token: a.access_token });
        expect(out.status).toBe(200);
        expect(out.body.sessions_revoked).toBeGreaterThanOrEqual(2);
        for (const s of [a, b]) {
          expect((await me(h, s.access_token)).status).toBe(401);
          expect((await refresh(h, s.refresh_token)).status).toBe(401);
        }
      });

      it('reuse of a rotated refresh token revokes its family and session; the later token no longer refreshes', async () => {
        const first = (await login(h, BOB)).body;
        const second = (await refresh(h, first.refresh_token)).body;
        const third = (await refresh(h, second.refresh_token)).body;
        expect(third.session_id).toBe(first.session_id);
        // `first` was rotated and its successor moved on: theft.
        const stolen = await refresh(h, first.refresh_token);
        expect(stolen.status).toBe(401);
        expect(stolen.body.msg).toBe('Refresh token already used or revoked');
        expect((await refresh(h, third.refresh_token)).status).toBe(401);
        expect((await me(h, third.access_token)).status).toBe(401);
        await expect(h.stores.sessions.get(BOB.sub, first.session_id)).resolves.toBeUndefined();
      });

      it('gives 40 concurrent refreshes of one token inside the grace the same successor; the family lives on', async () => {
        const s = (await login(h, ALICE)).body;
        const answers = await Promise.all(
          Array.from({ length: 40 }, () => refresh(h, s.refresh_token)),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
        const successors = new Set(answers.map((a) => a.body.refresh_token));
        expect(successors.size).toBe(1);
        const next = [...successors][0] as string;
        const after = await refresh(h, next);
        expect(after.status).toBe(200);
        expect((await me(h, after.body.access_token)).status).toBe(200);
      });

      it('treats a re-presentation after the grace window as theft', async () => {
        const s = (await login(h, ALICE)).body;
        const next = (await refresh(h, s.refresh_token)).body;
        h.clock.advance(11_000);
        expect((await refresh(h, s.refresh_token)).status).toBe(401);
        expect((await refresh(h, next.refresh_token)).status).toBe(401);
        h.clock.advance(-11_000);
      });

      it('answers 429 with Retry-After past the family limit, and lets the family through after the window', async () => {
        let token = (await login(h, BOB)).body.refresh_token as string;
        let limited: Answer | undefined;
        for (let i = 0; i < 60 && limited === undefined; i++) {
          const res = await refresh(h, token);
          if (res.status === 429) limited = res;
          else token = res.body.refresh_token;
        }
        expect(limited?.status).toBe(429);
        expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(limited?.body).toMatchObject({
          success: false,
          status_code: 429,
          from_error: 'RateLimitedError',
        });
        h.clock.advance(61_000);
        // Servers count windows in their own time (their RateLimitStore contract proves the
        // window ends there): only the memory backend moves with the test's clock.
        if (backend.name === 'memory') expect((await refresh(h, token)).status).toBe(200);
        h.clock.advance(-61_000);
      });
    }
  });
}
