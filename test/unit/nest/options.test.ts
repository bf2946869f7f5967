/**
 * `AuthModule`'s options, compiled at start-up: what cannot work is a `ConfigurationError`
 * naming what is missing, before any request; what can work builds the policy, the flows and
 * the guard's pipeline once.
 */
import { loadSettings } from 'auth-sdk-m8';
import { MemoryRevocationStore } from 'auth-sdk-m8/stores/memory';
import { compileAuthOptions, type AuthModuleOptions } from '../../../lib/nest/options';
import { hsFlowParts } from '../../helpers/flow-parts';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';

const settings = loadSettings({
  env: { ACCESS_TOKEN_ALGORITHM: 'HS256', ACCESS_SECRET_KEY: HS_SECRET, TOKEN_MODE: 'stateful' },
  envFile: false,
});

describe('compileAuthOptions', () => {
  const { issuer, policy, refreshPolicy } = hsFlowParts();
  const findUser = () => undefined;

  it('refuses a policy and settings together, and a policy that is none', () => {
    expect(() => compileAuthOptions({ policy, settings }, { flows: false })).toThrow(
      "Give AuthModule one of 'policy' or 'settings', not both.",
    );
    const fake = { validate: 'no' } as unknown as AuthModuleOptions['policy'];
    expect(() => compileAuthOptions({ policy: fake }, { flows: false })).toThrow(
      "AuthModule's 'policy' must be a TokenPolicy.",
    );
    expect(() =>
      compileAuthOptions(null as unknown as AuthModuleOptions, { flows: false }),
    ).toThrow('AuthModule needs its options');
  });

  it('names the flow parts missing when some are given, or when the routes need them', () => {
    expect(() => compileAuthOptions({ policy, issuer }, { flows: false })).toThrow(
      'missing: refreshPolicy, findUser.',
    );
    expect(() => compileAuthOptions({ policy }, { flows: true })).toThrow(
      'missing: issuer, refreshPolicy, findUser.',
    );
  });

  it('builds the guard alone from a policy, the flows too from their parts', () => {
    const guardOnly = compileAuthOptions({ policy }, { flows: false });
    expect(guardOnly.flows).toBeNull();
    expect(guardOnly.policy).toBe(policy);
    const full = compileAuthOptions({ policy, issuer, refreshPolicy, findUser }, { flows: true });
    expect(full.flows).not.toBeNull();
    // No cookie or CSRF option of its own: the guard shares the flows' pipeline.
    expect(full.authenticate).toBe(full.flows!.authenticate);
  });

  it('builds a policy from settings, and refuses stateful settings without a revocation store', () => {
    const compiled = compileAuthOptions(
      { settings, revocationStore: new MemoryRevocationStore() },
      { flows: false },
    );
    expect(compiled.policy.tokenMode).toBe('stateful');
    expect(() => compileAuthOptions({ settings }, { flows: false })).toThrow(/revocation store/);
  });

  it("keeps the settings' ALLOWED_ORIGINS for the cookie CSRF check when csrf only renames the header", async () => {
    const cookieSettings = loadSettings({
      env: {
        ACCESS_TOKEN_ALGORITHM: 'HS256',
        ACCESS_SECRET_KEY: HS_SECRET,
        TOKEN_MODE: 'stateless',
        BACKEND_CORS_ORIGINS: 'http://app.example.test',
      },
      envFile: false,
    });
    const { authenticate } = compileAuthOptions(
      { settings: cookieSettings, cookie: {}, csrf: { headerName: 'x-mine' } },
      { flows: false },
    );
    const post = (origin: string) =>
      authenticate({
        method: 'POST',
        headers: {
          origin,
          cookie: `access_token=${mint(accessClaims(), { key: HS_SECRET })}`,
        },
      });
    await expect(post('http://app.example.test')).resolves.toBeDefined();
    await expect(post('https://evil.example')).rejects.toMatchObject({ status: 403 });
  });
});
