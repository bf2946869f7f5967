/** The login flow over the memory stores (ASVS 5 V6: one answer for every refusal). */
import { InvalidRequestError, NotFoundError } from 'auth-sdk-m8';
import { claimsOf, flowKit, login, PASSWORD, post, quiet, refusal } from './kit';

describe('login', () => {
  it('answers a pair whose access token names its session and its login time', async () => {
    const kit = flowKit();
    const tokens = await login(kit);
    const access = claimsOf(tokens.access_token);
    const refresh = claimsOf(tokens.refresh_token);
    expect(access.sid).toBe(refresh.fid);
    expect(tokens.session_id).toBe(access.sid);
    expect(access.auth_time).toBe(kit.clock.seconds());
    expect(refresh.auth_time).toBe(kit.clock.seconds());
    const [session] = await kit.sessions.list(kit.user.sub);
    expect(session).toMatchObject({ id: access.sid, familyId: access.sid, userId: kit.user.sub });
    expect(kit.events.logins).toEqual(['success']);
  });

  it('refuses wrong credentials and inactive users alike, without a Bearer challenge', async () => {
    const kit = flowKit();
    const wrong = await refusal(
      kit.flows.login(post({ email: kit.user.email, password: `${PASSWORD}x` })),
    );
    const unknown = await refusal(
      kit.flows.login(post({ email: 'nobody@example.com', password: PASSWORD })),
    );
    kit.user.is_active = false;
    const inactive = await refusal(
      kit.flows.login(post({ email: kit.user.email, password: PASSWORD })),
    );
    for (const error of [wrong, unknown, inactive]) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toBe('Incorrect email or password');
      expect(error.headers).toEqual({});
    }
    expect(kit.events.logins).toEqual(['wrong_credentials', 'wrong_credentials', 'inactive_user']);
  });

  it('is a 404 where no credentials can be checked', async () => {
    const kit = flowKit({ verifyCredentials: undefined });
    await expect(
      kit.flows.login(post({ email: kit.user.email, password: PASSWORD })),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('checks the Origin of a login in cookie mode (login CSRF)', async () => {
    const settings = {
      ACCESS_TOKEN_EXPIRE_MINUTES: 30,
      REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 3600,
      SESSION_COOKIE_SECURE: true,
      ALLOWED_ORIGINS: ['https://app.example.com'],
    };
    const kit = flowKit({ cookies: { settings }, logger: quiet });
    const body = { email: kit.user.email, password: PASSWORD };
    const foreign = await refusal(kit.flows.login(post(body, { origin: 'https://evil.example' })));
    expect(foreign.status).toBe(403);
    const ours = await kit.flows.login(post(body, { origin: 'https://app.example.com' }));
    expect(ours.status).toBe(200);
    const cookie = ours.setCookie.find((c) => c.startsWith('refresh_token='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // The refresh cookie lives as long as its token (REFRESH_TOKEN_EXPIRE_MINUTES), not 3600 s.
    expect(cookie).toMatch(/Max-Age=7200/);
    expect(ours.body).not.toHaveProperty('refresh_token');
  });
});
