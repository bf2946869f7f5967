/**
 * Logout over the memory stores (ASVS 5 V7.4.1: logout ends the session). The session is the
 * one the presented access token names (`sid`), whichever of its access tokens is presented.
 */
import { InvalidRequestError } from 'auth-sdk-m8';
import { bearer, flowKit, login, refresh, refusal } from './kit';

describe('logout', () => {
  it('ends the session with an older access token of it: the current tokens die too', async () => {
    const kit = flowKit();
    const first = await login(kit); // A1 / R1
    const second = await refresh(kit, first.refresh_token); // A2 / R2
    const answer = await kit.flows.logout(bearer(first.access_token)); // A1 is still valid
    expect(answer.body).toEqual({ success: true, msg: 'Logged out' });
    await expect(refusal(refresh(kit, second.refresh_token))).resolves.toMatchObject({
      status: 401,
    });
    await expect(kit.accessOk(second.access_token)).resolves.toBe(false);
    await expect(kit.accessOk(first.access_token)).resolves.toBe(false);
    await expect(kit.sessions.list(kit.user.sub)).resolves.toEqual([]);
  });

  it("refuses another device's refresh token and ends nothing", async () => {
    const kit = flowKit();
    const x = await login(kit);
    const y = await login(kit);
    const attempt = await refusal(
      kit.flows.logout(bearer(x.access_token, { refresh_token: y.refresh_token })),
    );
    expect(attempt).toBeInstanceOf(InvalidRequestError);
    expect(attempt.status).toBe(400);
    // Neither session ended: both devices keep refreshing, X's access token still works.
    await expect(kit.accessOk(x.access_token)).resolves.toBe(true);
    await expect(refresh(kit, y.refresh_token)).resolves.toHaveProperty('access_token');
    await expect(refresh(kit, x.refresh_token)).resolves.toHaveProperty('access_token');
    await expect(kit.sessions.list(kit.user.sub)).resolves.toHaveLength(2);
  });

  it("ends the caller's own session with its own refresh token in the body", async () => {
    const kit = flowKit();
    const x = await login(kit);
    const y = await login(kit);
    await kit.flows.logout(bearer(x.access_token, { refresh_token: x.refresh_token }));
    await expect(refusal(refresh(kit, x.refresh_token))).resolves.toMatchObject({ status: 401 });
    await expect(refresh(kit, y.refresh_token)).resolves.toHaveProperty('access_token');
  });

  it('logs out everywhere: every session, every refresh token', async () => {
    const kit = flowKit();
    const x = await login(kit);
    const y = await login(kit);
    const answer = await kit.flows.logoutAll(bearer(x.access_token));
    expect(answer.body).toEqual({
      success: true,
      msg: 'Logged out everywhere',
      sessions_revoked: 2,
    });
    for (const t of [x, y]) {
      await expect(kit.accessOk(t.access_token)).resolves.toBe(false);
      await expect(refusal(refresh(kit, t.refresh_token))).resolves.toMatchObject({ status: 401 });
    }
  });

  it('ends one session by id (DELETE /auth/sessions/:id); another user gets a 404', async () => {
    const kit = flowKit();
    const x = await login(kit);
    const y = await login(kit);
    const ended = await kit.flows.revokeSession(
      { method: 'DELETE', headers: { authorization: `Bearer ${x.access_token}` } },
      y.session_id!,
    );
    expect(ended.body).toEqual({ success: true, msg: 'Session revoked' });
    await expect(kit.accessOk(y.access_token)).resolves.toBe(false);
    await expect(refusal(refresh(kit, y.refresh_token))).resolves.toMatchObject({ status: 401 });
    await expect(kit.accessOk(x.access_token)).resolves.toBe(true);
    const again = await refusal(
      kit.flows.revokeSession(
        { method: 'DELETE', headers: { authorization: `Bearer ${x.access_token}` } },
        y.session_id!,
      ),
    );
    expect(again.status).toBe(404);
  });

  it('ends every session of a disabled account without a request (endUserSessions)', async () => {
    const kit = flowKit();
    const x = await login(kit);
    const y = await login(kit);
    const next = await refresh(kit, y.refresh_token);
    await expect(kit.flows.endUserSessions(kit.user.sub)).resolves.toBe(2);
    for (const token of [x.access_token, y.access_token, next.access_token]) {
      await expect(kit.accessOk(token)).resolves.toBe(false);
    }
    for (const token of [x.refresh_token, next.refresh_token]) {
      await expect(refusal(refresh(kit, token))).resolves.toMatchObject({ status: 401 });
    }
    await expect(kit.flows.endUserSessions(kit.user.sub)).resolves.toBe(0);
  });
});
