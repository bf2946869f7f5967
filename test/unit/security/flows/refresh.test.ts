/**
 * The refresh flow over the memory stores: rotation, the grace replay, theft, the absolute
 * session lifetime (RFC 9700 §4.14.2: refresh tokens bound to a session that ends).
 */
import { InvalidTokenError } from 'auth-sdk-m8';
import { claimsOf, flowKit, login, refresh, refusal } from './kit';

describe('refresh', () => {
  it('rotates: a new pair in the same session, the login time carried along', async () => {
    const kit = flowKit();
    const first = await login(kit);
    kit.clock.advance(60_000);
    const next = await refresh(kit, first.refresh_token);
    const access = claimsOf(next.access_token);
    expect(access.sid).toBe(claimsOf(first.access_token).sid);
    expect(access.auth_time).toBe(claimsOf(first.access_token).auth_time);
    expect(claimsOf(next.refresh_token).fid).toBe(access.sid);
    expect(next.session_id).toBe(access.sid);
    const [session] = await kit.sessions.list(kit.user.sub);
    expect(session!.lastUsedAt).toBe(kit.clock.seconds());
  });

  it('gives a replay inside the grace the very same successor', async () => {
    const kit = flowKit({ graceSeconds: 10 });
    const first = await login(kit);
    const a = await refresh(kit, first.refresh_token);
    kit.clock.advance(5_000);
    const b = await refresh(kit, first.refresh_token);
    expect(b).toEqual(a);
  });

  it('treats a rotated token presented after the grace as theft: the session ends', async () => {
    const kit = flowKit({ graceSeconds: 10 });
    const first = await login(kit);
    const next = await refresh(kit, first.refresh_token);
    kit.clock.advance(11_000);
    const stolen = await refusal(refresh(kit, first.refresh_token));
    expect(stolen).toMatchObject({ reason: 'reused', status: 401 });
    expect(kit.events.failures).toContain('refresh:reused');
    await expect(kit.sessions.list(kit.user.sub)).resolves.toEqual([]);
    await expect(refusal(refresh(kit, next.refresh_token))).resolves.toBeInstanceOf(
      InvalidTokenError,
    );
    await expect(kit.accessOk(next.access_token)).resolves.toBe(false);
  });

  it('ends a session at its absolute lifetime, however often it is refreshed', async () => {
    // A 60 s refresh life, a 300 s session: rotating every 50 s keeps it alive 300 s, no more.
    const kit = flowKit({ refreshTtlSeconds: 60, sessionLifetimeSeconds: 300 });
    const start = kit.clock.seconds();
    let tokens = await login(kit);
    for (let t = 50; t < 300; t += 50) {
      kit.clock.advance(50_000);
      tokens = await refresh(kit, tokens.refresh_token);
      const exp = claimsOf(tokens.refresh_token).exp as number;
      expect(exp).toBeLessThanOrEqual(start + 300);
      expect(claimsOf(tokens.access_token).exp).toBeLessThanOrEqual(start + 300);
    }
    expect(claimsOf(tokens.refresh_token).exp).toBe(start + 300);
    kit.clock.advance(50_000); // now = start + 300: the session is over
    const over = await refusal(refresh(kit, tokens.refresh_token));
    expect(over).toMatchObject({ reason: 'expired', status: 401 });
    kit.clock.advance(6_000); // past the validators' leeway (5 s) too
    await expect(kit.accessOk(tokens.access_token)).resolves.toBe(false);
    const [session] = await kit.sessions.list(kit.user.sub);
    expect(session).toBeUndefined();
  });

  it('shows each session with its end (GET /auth/sessions expires_at)', async () => {
    const kit = flowKit({ refreshTtlSeconds: 60, sessionLifetimeSeconds: 100 });
    const start = kit.clock.seconds();
    const tokens = await login(kit);
    kit.clock.advance(50_000);
    const next = await refresh(kit, tokens.refresh_token);
    const listed = await kit.flows.listSessions({
      method: 'GET',
      headers: { authorization: `Bearer ${next.access_token}` },
    });
    expect(listed.body).toEqual([
      expect.objectContaining({
        id: next.session_id,
        current: true,
        expires_at: new Date((start + 100) * 1000).toISOString(),
      }),
    ]);
  });

  it('refuses an inactive user before anything rotates, and the token stays dead', async () => {
    const kit = flowKit();
    const first = await login(kit);
    kit.user.is_active = false;
    await expect(refusal(refresh(kit, first.refresh_token))).resolves.toMatchObject({
      status: 400,
    });
    kit.user.is_active = true;
    await expect(refusal(refresh(kit, first.refresh_token))).resolves.toMatchObject({
      status: 401,
    });
  });
});
