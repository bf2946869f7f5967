import { createPublicKey } from 'node:crypto';
import { ConfigurationError, StoreUnavailableError } from '../../../lib/core/errors';
import { loadSettings } from '../../../lib/core/settings/load';
import { SecretValue } from '../../../lib/core/settings/secret';
import { buildAccessValidator } from '../../../lib/security/build-access-validator';
import type { JwsError } from '../../../lib/security/jws';
import { decodeHeader, prepareKey, signCompact, verifyCompact } from '../../../lib/security/jws';
import { RefreshTokenPolicy } from '../../../lib/security/refresh-token-policy';
import { TokenIssuer, type AccessTokenSubject } from '../../../lib/security/token-issuer';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import {
  HS_SECRET,
  REFRESH_SECRET,
  ecKeys,
  p384Keys,
  rsaKeys,
  weakRsaKeys,
} from '../../helpers/keys';

describe('prepareKey: keys are checked once, at construction', () => {
  it.each([
    [
      'an RSA key of 1024 bits for RS256',
      { key: weakRsaKeys().publicKey, algorithm: 'RS256' },
      /minimum 2048-bit/,
    ],
    ['a P-384 key for ES256', { key: p384Keys().publicKey, algorithm: 'ES256' }, /P-256/],
    ['an EC key for RS256', { key: ecKeys().publicPem, algorithm: 'RS256' }, /RSA key/],
    ['an RSA key for ES256', { key: rsaKeys().publicKey, algorithm: 'ES256' }, /EC key/],
    ['a PEM as an HS256 secret', { key: rsaKeys().publicPem, algorithm: 'HS256' }, /PEM/],
    [
      'a public KeyObject as an HS256 secret',
      { key: rsaKeys().publicKey, algorithm: 'HS256' },
      /HS256 secret/,
    ],
    ['a 31-byte HS256 secret', { key: 'x'.repeat(31), algorithm: 'HS256' }, /32 bytes/],
    [
      'garbage PEM',
      { key: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----', algorithm: 'RS256' },
      /Cannot use this key/,
    ],
    ['an unsupported algorithm', { key: HS_SECRET, algorithm: 'HS512' }, /Unsupported algorithm/],
  ] as const)('refuses %s', (_name, secret, message) => {
    expect(() => prepareKey(secret as never)).toThrow(ConfigurationError);
    expect(() => prepareKey(secret as never)).toThrow(message);
  });

  it('derives the public key from a private PEM for verification, and refuses a public key for signing', () => {
    const key = prepareKey({ key: rsaKeys().privatePem, algorithm: 'RS256' }, 'verify');
    const signer = prepareKey({ key: rsaKeys().privateKey, algorithm: 'RS256' }, 'sign');
    const token = signCompact({ a: 1 }, signer, { kid: 'k' });
    expect(verifyCompact(token, key).payload).toEqual({ a: 1 });
    expect(decodeHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k' });
    expect(() => prepareKey({ key: rsaKeys().publicKey, algorithm: 'RS256' }, 'sign')).toThrow(
      /private key/,
    );
  });

  it('reports each failure kind', () => {
    const key = prepareKey({ key: HS_SECRET, algorithm: 'HS256' });
    const kinds = (token: string): string => {
      try {
        verifyCompact(token, key, { maxLength: 200 });
        return 'ok';
      } catch (err) {
        return (err as JwsError).kind;
      }
    };
    const good = signCompact({ a: 1 }, prepareKey({ key: HS_SECRET, algorithm: 'HS256' }, 'sign'));
    expect(kinds(good)).toBe('ok');
    expect(kinds(`${good}x`)).toBe('signature');
    expect(kinds('a.b')).toBe('malformed');
    expect(kinds('x'.repeat(201))).toBe('too_large');
    const [, p, s] = good.split('.');
    expect(kinds(`${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${p}.${s}`)).toBe(
      'algorithm',
    );
    expect(
      kinds(`${Buffer.from('{"alg":"HS256","crit":["x"]}').toString('base64url')}.${p}.${s}`),
    ).toBe('crit');
  });
});

describe('TokenIssuer', () => {
  it('publishes only public parts, with RFC 7638 thumbprint kids, and several keys for rotation', () => {
    const current = ecKeys('current');
    const previous = rsaKeys('previous');
    const issuer = new TokenIssuer({
      accessKeys: [
        { secret: { key: current.privateKey, algorithm: 'ES256' } },
        { secret: { key: previous.privateKey, algorithm: 'RS256' }, kid: 'old-rsa' },
      ],
      refreshSecret: REFRESH_SECRET,
    });
    const { keys } = issuer.jwks();
    expect(keys.map((k) => k.kid)).toEqual([TokenIssuer.thumbprint(current.publicKey), 'old-rsa']);
    for (const k of keys) {
      expect(k).not.toHaveProperty('d');
      expect(k).not.toHaveProperty('p');
      expect(k.use).toBe('sig');
    }
    // RFC 7638 §3.1 example key and thumbprint.
    const rfcKey = createPublicKey({
      key: {
        kty: 'RSA',
        e: 'AQAB',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      },
      format: 'jwk',
    });
    expect(TokenIssuer.thumbprint(rfcKey)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('never publishes an HS256 key', () => {
    const issuer = new TokenIssuer({
      accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
      refreshSecret: REFRESH_SECRET,
    });
    expect(issuer.jwks()).toEqual({ keys: [] });
  });

  it('issues refresh tokens RefreshTokenPolicy accepts: HS256, UUID sub, type refresh, family id', async () => {
    const issuer = new TokenIssuer({
      accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
      refreshSecret: new SecretValue(REFRESH_SECRET),
    });
    const userId = '550e8400-e29b-41d4-a716-446655440000';
    const issued = issuer.issueRefreshToken({ userId });
    expect(decodeHeader(issued.token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    await expect(
      new RefreshTokenPolicy({ secret: REFRESH_SECRET }).validateAndRotate(issued.token, {
        newJti: 'next',
      }),
    ).resolves.toMatchObject({ userId, oldJti: issued.jti });
    expect(issuer.issueRefreshToken({ userId, familyId: issued.familyId }).familyId).toBe(
      issued.familyId,
    );
    expect(() => issuer.issueRefreshToken({ userId: 'user-1' })).toThrow(
      new TypeError(
        'issueRefreshToken: claim "sub" (userId) must be a UUID (the Python SDK requires it)',
      ),
    );
    expect(() => issuer.issueRefreshToken({ userId, jti: '' })).toThrow(
      new TypeError('issueRefreshToken: claim "jti" must be a non-empty string'),
    );
  });

  describe('refuses at issue time what its own validator would refuse, naming the claim', () => {
    const issuer = new TokenIssuer({ accessKeys: { key: HS_SECRET, algorithm: 'HS256' } });
    const validator = new TokenValidator({
      secret: { key: HS_SECRET, algorithm: 'HS256' },
      config: createValidationConfig(),
      cache: false,
    });
    const base: AccessTokenSubject = { sub: 'user-1', email: 'user@example.com' };

    it('issues the base subject, and the validator accepts it (so the refusals below are real)', async () => {
      const { token } = issuer.issueAccessToken(base, { jti: 'j-1' });
      await expect(validator.validateAccessToken(token)).resolves.toMatchObject({
        sub: 'user-1',
        jti: 'j-1',
        role: 'user',
      });
    });

    // Each subject is also minted raw and given to the validator: it refuses every one but the
    // empty sub (present for PyJWT; the issuer refuses it anyway: it identifies no one), so
    // the issuer refuses tokens that could never be used.
    it.each<
      [string, Record<string, unknown>, string, string, 'validator refuses' | 'validator accepts']
    >([
      ['an empty sub', { sub: '' }, 'sub', 'must be a non-empty string', 'validator accepts'],
      ['a numeric sub', { sub: 42 }, 'sub', 'must be a non-empty string', 'validator refuses'],
      [
        'an email without a domain',
        { email: 'not-an-email' },
        'email',
        'is not an address',
        'validator refuses',
      ],
      [
        'an email on a special-use domain',
        { email: 'a@b.test' },
        'email',
        'is not an address',
        'validator refuses',
      ],
      ['a missing email', { email: undefined }, 'email', 'is not an address', 'validator refuses'],
      [
        'an unknown role',
        { role: 'god' },
        'role',
        'must be one of superadmin, admin, writer, reader, user; got god',
        'validator refuses',
      ],
      ['a role in upper case', { role: 'ADMIN' }, 'role', 'must be one of', 'validator refuses'],
      [
        'a role that is not a short name',
        { role: 'a b' },
        'role',
        'must be one of superadmin, admin, writer, reader, user; got other',
        'validator refuses',
      ],
      [
        'a numeric full_name',
        { full_name: 7 },
        'full_name',
        'must be a string or null',
        'validator refuses',
      ],
      [
        'a string is_superuser',
        { is_superuser: 'true' },
        'is_superuser',
        'must be a boolean',
        'validator refuses',
      ],
    ])('%s', async (_name, change, claim, rule, verdict) => {
      const subject = { ...base, ...change } as AccessTokenSubject;
      let thrown: unknown;
      try {
        issuer.issueAccessToken(subject);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toContain(`issueAccessToken: claim "${claim}" ${rule}`);
      const now = Math.floor(Date.now() / 1000);
      const raw = signCompact(
        { jti: 'j', type: 'access', iat: now, exp: now + 60, ...subject },
        prepareKey({ key: HS_SECRET, algorithm: 'HS256' }, 'sign'),
      );
      const validated = validator.validateAccessToken(raw);
      if (verdict === 'validator refuses') {
        await expect(validated).rejects.toMatchObject({ status: 401 });
      } else {
        await expect(validated).resolves.toMatchObject({ jti: 'j' });
      }
    });

    it('never repeats the refused address in the message (it ends up in logs)', () => {
      expect(() => issuer.issueAccessToken({ ...base, email: 'secret-person' })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('secret-person') }),
      );
    });

    it('refuses an empty jti', () => {
      expect(() => issuer.issueAccessToken(base, { jti: '' })).toThrow(
        new TypeError('issueAccessToken: claim "jti" must be a non-empty string'),
      );
    });
  });
});

describe('buildAccessValidator (Python factory semantics)', () => {
  const hs = { ACCESS_SECRET_KEY: HS_SECRET, TOKEN_MODE: 'stateless' };

  it('enforces iss/aud only when they are set', async () => {
    const issuer = new TokenIssuer({
      accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
      issuer: 'https://a',
      audience: 'api',
    });
    const { token } = issuer.issueAccessToken({ sub: 's', email: 'f@example.com' });
    await expect(
      buildAccessValidator(loadSettings({ env: hs })).validateAccessToken(token),
    ).resolves.toBeDefined();
    await expect(
      buildAccessValidator(
        loadSettings({ env: { ...hs, TOKEN_ISSUER: 'https://a', TOKEN_AUDIENCE: 'api' } }),
      ).validateAccessToken(token),
    ).resolves.toBeDefined();
    await expect(
      buildAccessValidator(
        loadSettings({ env: { ...hs, TOKEN_AUDIENCE: 'other' } }),
      ).validateAccessToken(token),
    ).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('uses JWKS for RS256/ES256 when JWKS_URI is set (an unreachable key server is a 503, not a 401)', async () => {
    const validator = buildAccessValidator(
      loadSettings({
        env: {
          ACCESS_TOKEN_ALGORITHM: 'ES256',
          JWKS_URI: 'http://127.0.0.1:1/jwks.json',
          TOKEN_MODE: 'stateless',
        },
      }),
    );
    const token = new TokenIssuer({
      accessKeys: { key: ecKeys().privateKey, algorithm: 'ES256' },
    }).issueAccessToken({ sub: 's', email: 'f@example.com' }).token;
    await expect(validator.validateAccessToken(token)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('names the missing variable', () => {
    expect(() =>
      buildAccessValidator({ ACCESS_TOKEN_ALGORITHM: 'RS256', JWKS_CACHE_TTL_SECONDS: 300 }),
    ).toThrow(/ACCESS_PUBLIC_KEY_FILE/);
    expect(() =>
      buildAccessValidator({ ACCESS_TOKEN_ALGORITHM: 'HS256', JWKS_CACHE_TTL_SECONDS: 300 }),
    ).toThrow(/ACCESS_SECRET_KEY/);
  });
});
