import {
  InvalidTokenError,
  StoreUnavailableError,
  ConfigurationError,
} from '../../../lib/core/errors';
import { StaticKeyResolver } from '../../../lib/security/key-resolvers/static';
import { TokenValidator } from '../../../lib/security/token-validator';
import type { FailureEvent, KeyResolver, SuccessEvent } from '../../../lib/security/types';
import {
  createValidationConfig,
  strictValidationConfig,
} from '../../../lib/security/validation-config';
import { hostileTokens } from '../../fixtures/hostile-tokens';
import { HS_SECRET, HS_SECRET_OTHER, ecKeys, rsaKeys } from '../../helpers/keys';
import { accessClaims, mint, without } from '../../helpers/mint-token';

const hsConfig = createValidationConfig();
const NOW = 1_900_000_000; // fixed epoch seconds for clock tests

function recordingHooks(): {
  hooks: { onSuccess(e: SuccessEvent): void; onFailure(e: FailureEvent): void };
  successes: SuccessEvent[];
  failures: FailureEvent[];
} {
  const successes: SuccessEvent[] = [];
  const failures: FailureEvent[] = [];
  return {
    hooks: { onSuccess: (e) => successes.push(e), onFailure: (e) => failures.push(e) },
    successes,
    failures,
  };
}

function hsValidator(
  extra: Partial<ConstructorParameters<typeof TokenValidator>[0]> = {},
): TokenValidator {
  return new TokenValidator({
    secret: { key: HS_SECRET, algorithm: 'HS256' },
    config: hsConfig,
    cache: false,
    ...extra,
  });
}

describe('TokenValidator construction', () => {
  it('needs a secret or a key resolver', () => {
    expect(() => new TokenValidator({ config: hsConfig })).toThrow(
      new ConfigurationError('Either secret or keyResolver must be provided'),
    );
  });

  it("refuses a secret whose algorithm the config does not allow (Python's message)", () => {
    expect(
      () =>
        new TokenValidator({
          secret: { key: rsaKeys().publicPem, algorithm: 'RS256' },
          config: hsConfig,
        }),
    ).toThrow("Algorithm 'RS256' not allowed by configuration");
  });

  it('refuses PEM material as an HS256 secret (key confusion) and short secrets', () => {
    const config = createValidationConfig({ allowedAlgorithms: ['HS256'] });
    expect(
      () =>
        new TokenValidator({ secret: { key: rsaKeys().publicPem, algorithm: 'HS256' }, config }),
    ).toThrow(ConfigurationError);
    expect(
      () => new TokenValidator({ secret: { key: 'short', algorithm: 'HS256' }, config }),
    ).toThrow(/32 bytes/);
  });
});

describe('TokenValidator verdicts (Python semantics)', () => {
  it('returns the TokenUserData with defaults filled and extra claims dropped', async () => {
    const claims = accessClaims({
      sub: 'user-123',
      jti: 'test-jti-0000',
      extra: 'dropped',
      aud: 'x',
    });
    const result = await hsValidator().validateAccessToken(
      mint(without(claims, 'role', 'is_active'), { key: HS_SECRET }),
    );
    expect(result).toEqual({
      sub: 'user-123',
      jti: 'test-jti-0000',
      type: 'access',
      exp: claims.exp,
      email: 'test@example.com',
      full_name: null,
      avatar: null,
      is_active: true,
      email_verified: false,
      is_superuser: false,
      role: 'user',
    });
    expect(Object.isFrozen(result)).toBe(true);
  });

  it('rejects an expired token with reason expired and "Access token expired"', async () => {
    const token = mint(accessClaims({ exp: Math.floor(Date.now() / 1000) - 60 }), {
      key: HS_SECRET,
    });
    await expect(hsValidator().validateAccessToken(token)).rejects.toMatchObject({
      message: 'Access token expired',
      reason: 'expired',
      status: 401,
      code: 'invalid_token',
    });
  });

  it('applies the 5 s default leeway at the exact boundary (exp <= now - leeway is expired)', async () => {
    const validator = hsValidator({ clock: () => NOW * 1000 });
    await expect(
      validator.validateAccessToken(
        mint(accessClaims({ iat: NOW - 100, exp: NOW - 4 }), { key: HS_SECRET }),
      ),
    ).resolves.toBeDefined();
    await expect(
      validator.validateAccessToken(
        mint(accessClaims({ iat: NOW - 100, exp: NOW - 5 }), { key: HS_SECRET }),
      ),
    ).rejects.toMatchObject({ reason: 'expired' });
  });

  it('rejects nbf and iat beyond the leeway, accepts them within it', async () => {
    const validator = hsValidator({ clock: () => NOW * 1000 });
    const at = (over: Record<string, unknown>): string =>
      mint(accessClaims({ iat: NOW, exp: NOW + 600, ...over }), { key: HS_SECRET });
    await expect(validator.validateAccessToken(at({ nbf: NOW + 5 }))).resolves.toBeDefined();
    await expect(validator.validateAccessToken(at({ nbf: NOW + 6 }))).rejects.toMatchObject({
      reason: 'invalid',
      message: 'Invalid access token',
    });
    await expect(validator.validateAccessToken(at({ iat: NOW + 5 }))).resolves.toBeDefined();
    await expect(validator.validateAccessToken(at({ iat: NOW + 6 }))).rejects.toMatchObject({
      reason: 'invalid',
    });
  });

  it('treats a null required claim as missing, an empty string type as present but wrong', async () => {
    await expect(
      hsValidator().validateAccessToken(mint(accessClaims({ jti: null }), { key: HS_SECRET })),
    ).rejects.toMatchObject({ reason: 'invalid' });
    await expect(
      hsValidator().validateAccessToken(mint(accessClaims({ type: '' }), { key: HS_SECRET })),
    ).rejects.toMatchObject({ reason: 'wrong_type', message: 'Not an access token' });
  });

  it('rejects a refresh-typed token with reason wrong_type', async () => {
    await expect(
      hsValidator().validateAccessToken(
        mint(accessClaims({ type: 'refresh' }), { key: HS_SECRET }),
      ),
    ).rejects.toMatchObject({ reason: 'wrong_type', message: 'Not an access token' });
  });

  it('rejects an invalid payload with reason invalid_payload and "Invalid access token"', async () => {
    for (const bad of [
      { email: 'not-an-email' },
      { role: 'god' },
      { email: 'a@b.test' },
      { is_active: 'yes' },
    ]) {
      await expect(
        hsValidator().validateAccessToken(mint(accessClaims(bad), { key: HS_SECRET })),
      ).rejects.toMatchObject({ reason: 'invalid_payload', message: 'Invalid access token' });
    }
  });

  it('refuses role: null as an invalid payload, while a token without role gets user', async () => {
    const { hooks, failures } = recordingHooks();
    const validator = hsValidator({ hooks });
    await expect(
      validator.validateAccessToken(mint(accessClaims({ role: null }), { key: HS_SECRET })),
    ).rejects.toMatchObject({ status: 401, reason: 'invalid_payload' });
    expect(failures.map((f) => f.reason)).toEqual(['invalid_payload']);
    const absent = await validator.validateAccessToken(
      mint(without(accessClaims(), 'role'), { key: HS_SECRET }),
    );
    expect(absent.role).toBe('user');
  });

  it('ignores iss/aud in permissive mode and enforces them when required', async () => {
    const token = mint(accessClaims({ iss: 'other', aud: 'service-b' }), { key: HS_SECRET });
    const permissive = hsValidator({
      config: createValidationConfig({ issuer: 'auth', audience: 'service-a' }),
    });
    await expect(permissive.validateAccessToken(token)).resolves.toBeDefined();
    const strictAud = hsValidator({
      config: createValidationConfig({ audience: 'service-a', requireAud: true }),
    });
    await expect(strictAud.validateAccessToken(token)).rejects.toMatchObject({ reason: 'invalid' });
    const strictIss = hsValidator({
      config: createValidationConfig({ issuer: 'auth', requireIss: true }),
    });
    await expect(
      strictIss.validateAccessToken(mint(without(accessClaims(), 'iss'), { key: HS_SECRET })),
    ).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('strict profile requires iat and nbf', async () => {
    const validator = hsValidator({ config: strictValidationConfig('auth', 'api') });
    const base = accessClaims({ iss: 'auth', aud: ['api', 'other'] });
    await expect(
      validator.validateAccessToken(mint(base, { key: HS_SECRET })),
    ).rejects.toMatchObject({ reason: 'invalid' });
    await expect(
      validator.validateAccessToken(mint({ ...base, nbf: base.iat }, { key: HS_SECRET })),
    ).resolves.toMatchObject({ sub: 'user-123' });
  });

  it('rejects a token signed with another secret', async () => {
    await expect(
      hsValidator().validateAccessToken(mint(accessClaims(), { key: HS_SECRET_OTHER })),
    ).rejects.toMatchObject({ reason: 'invalid' });
  });

  it.each([
    ['HS256', HS_SECRET, HS_SECRET, undefined],
    ['RS256', rsaKeys().privateKey, rsaKeys().publicPem, rsaKeys().publicPem],
    ['ES256', ecKeys().privateKey, ecKeys().publicPem, ecKeys().publicPem],
  ] as const)(
    'refuses every hostile token with a 401 InvalidTokenError (%s)',
    async (alg, signKey, verifyKey, publicPem) => {
      const validator = new TokenValidator({
        secret: { key: verifyKey, algorithm: alg },
        config: createValidationConfig({ allowedAlgorithms: [alg] }),
      });
      const corpus = hostileTokens({ alg, signKey, publicPem });
      expect(corpus.length).toBeGreaterThan(50);
      for (const { name, token } of corpus) {
        const outcome = await validator.validateAccessToken(token).then(
          () => 'accepted',
          (err: unknown) => err,
        );
        expect([name, outcome instanceof InvalidTokenError]).toEqual([name, true]);
        expect([name, (outcome as InvalidTokenError).status]).toEqual([name, 401]);
      }
    },
  );

  it('never throws synchronously, even for non-string input', async () => {
    const validator = hsValidator();
    for (const input of [undefined, null, 42, {}, ['a.b.c']]) {
      let outcome: Promise<unknown> | undefined;
      expect(() => {
        outcome = validator.validateAccessToken(input as unknown as string);
      }).not.toThrow();
      await expect(outcome).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });
});

describe('TokenValidator hooks', () => {
  it('reports one success with jti and sub, and each failure once with its reason', async () => {
    const { hooks, successes, failures } = recordingHooks();
    const validator = hsValidator({ hooks });
    await validator.validateAccessToken(
      mint(accessClaims({ jti: 'test-jti-0000', sub: 'user-123' }), { key: HS_SECRET }),
    );
    expect(successes).toEqual([{ jti: 'test-jti-0000', sub: 'user-123', tokenType: 'access' }]);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: 1 }, 'expired'],
      [{ type: 'refresh' }, 'wrong_type'],
      [{ email: 'nope' }, 'invalid_payload'],
      [{ nbf: 4_000_000_000 }, 'invalid'],
    ];
    for (const [over] of cases) {
      await validator
        .validateAccessToken(mint(accessClaims(over), { key: HS_SECRET }))
        .catch(() => undefined);
    }
    await validator.validateAccessToken('garbage').catch(() => undefined);
    expect(failures.map((f) => f.reason)).toEqual([...cases.map((c) => c[1]), 'invalid']);
    expect(failures.every((f) => f.tokenType === 'access')).toBe(true);
  });

  it('a throwing hook changes no verdict', async () => {
    const logged: string[] = [];
    const validator = hsValidator({
      hooks: {
        onSuccess: () => {
          throw new Error('metrics down');
        },
        onFailure: () => {
          throw new Error('metrics down');
        },
      },
      logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) },
    });
    await expect(
      validator.validateAccessToken(mint(accessClaims(), { key: HS_SECRET })),
    ).resolves.toBeDefined();
    await expect(validator.validateAccessToken('x')).rejects.toMatchObject({ reason: 'invalid' });
    expect(logged).toHaveLength(2);
  });
});

describe('TokenValidator with a key resolver', () => {
  const rs = rsaKeys();
  const rsConfig = createValidationConfig({ allowedAlgorithms: ['RS256'] });

  it('passes the kid (or undefined) to the resolver and verifies with what it returns', async () => {
    const calls: Array<string | undefined> = [];
    const resolver: KeyResolver = {
      resolve: (kid) => {
        calls.push(kid);
        return { key: rs.publicKey, algorithm: 'RS256' };
      },
    };
    const validator = new TokenValidator({ keyResolver: resolver, config: rsConfig, cache: false });
    await validator.validateAccessToken(
      mint(accessClaims(), { alg: 'RS256', key: rs.privateKey, header: { kid: 'k1' } }),
    );
    await validator.validateAccessToken(mint(accessClaims(), { alg: 'RS256', key: rs.privateKey }));
    expect(calls).toEqual(['k1', undefined]);
  });

  it('does not call the resolver for a malformed header, and reports it', async () => {
    const { hooks, failures } = recordingHooks();
    const resolver = { resolve: jest.fn() };
    const validator = new TokenValidator({ keyResolver: resolver, config: rsConfig, hooks });
    await expect(validator.validateAccessToken('not-a-jwt')).rejects.toMatchObject({
      reason: 'invalid',
    });
    expect(resolver.resolve).not.toHaveBeenCalled();
    expect(failures).toEqual([
      { reason: 'invalid', tokenType: 'access', detail: 'malformed:segments' },
    ]);
  });

  it('answers 401 (not 500) for an unknown kid, a throwing resolver or a disallowed algorithm', async () => {
    const token = mint(accessClaims(), {
      alg: 'RS256',
      key: rs.privateKey,
      header: { kid: 'nope' },
    });
    const unknown = new TokenValidator({
      keyResolver: new StaticKeyResolver({ k1: { key: rs.publicKey, algorithm: 'RS256' } }),
      config: rsConfig,
    });
    await expect(unknown.validateAccessToken(token)).rejects.toMatchObject({
      reason: 'invalid',
      status: 401,
      detail: 'kid_unknown',
    });
    const throwing = new TokenValidator({
      keyResolver: {
        resolve: () => {
          throw new RangeError('boom');
        },
      },
      config: rsConfig,
    });
    await expect(throwing.validateAccessToken(token)).rejects.toMatchObject({
      reason: 'invalid',
      status: 401,
      detail: 'key_resolver_error',
    });
    const disallowed = new TokenValidator({
      keyResolver: { resolve: () => ({ key: HS_SECRET, algorithm: 'HS256' }) },
      config: rsConfig,
    });
    await expect(disallowed.validateAccessToken(token)).rejects.toMatchObject({
      reason: 'invalid',
      status: 401,
      detail: 'alg_not_allowed:HS256',
    });
  });

  it('lets a key-server outage through as StoreUnavailableError (503), not as an invalid token', async () => {
    const { hooks, failures } = recordingHooks();
    const validator = new TokenValidator({
      keyResolver: {
        resolve: () => Promise.reject(new StoreUnavailableError('Key server unavailable', 'jwks')),
      },
      config: rsConfig,
      hooks,
    });
    const token = mint(accessClaims(), { alg: 'RS256', key: rs.privateKey });
    await expect(validator.validateAccessToken(token)).rejects.toMatchObject({
      status: 503,
      store: 'jwks',
    });
    expect(failures).toEqual([]);
  });
});

describe('verified-token cache', () => {
  it('serves a repeated token from the cache without verifying again, still reporting success', async () => {
    let now = NOW * 1000;
    const { hooks, successes } = recordingHooks();
    const validator = new TokenValidator({
      secret: { key: HS_SECRET, algorithm: 'HS256' },
      config: hsConfig,
      hooks,
      clock: () => now,
    });
    const token = mint(accessClaims({ iat: NOW, exp: NOW + 30 }), { key: HS_SECRET });
    const first = await validator.validateAccessToken(token);
    const second = await validator.validateAccessToken(token);
    expect(second).toBe(first); // same frozen object: a cache hit
    expect(successes).toHaveLength(2);
    now = (NOW + 30) * 1000; // at exp: the entry is gone, leeway still accepts the token
    const third = await validator.validateAccessToken(token);
    expect(third).not.toBe(first);
    now = (NOW + 35) * 1000; // beyond exp + leeway: expired, whatever was cached
    await expect(validator.validateAccessToken(token)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('never caches a failure, and stays within maxEntries', async () => {
    const validator = new TokenValidator({
      secret: { key: HS_SECRET, algorithm: 'HS256' },
      config: hsConfig,
      cache: { maxEntries: 3 },
    });
    const bad = mint(accessClaims({ email: 'bad' }), { key: HS_SECRET });
    for (let i = 0; i < 3; i++)
      await expect(validator.validateAccessToken(bad)).rejects.toMatchObject({
        reason: 'invalid_payload',
      });
    const tokens = Array.from({ length: 10 }, () => mint(accessClaims(), { key: HS_SECRET }));
    for (const token of tokens) await validator.validateAccessToken(token);
    const first = await validator.validateAccessToken(tokens[9]);
    expect(await validator.validateAccessToken(tokens[9])).toBe(first);
    expect(await validator.validateAccessToken(tokens[0])).not.toBe(
      await validator.validateAccessToken(tokens[1]),
    );
  });
});
