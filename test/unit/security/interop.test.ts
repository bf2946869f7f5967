/**
 * Independent implementations as cross-checks: tokens minted by TokenIssuer validate under jose
 * and jsonwebtoken with the same key, tokens minted by jose validate here, and our verifier and
 * jsonwebtoken agree on the hostile corpus and the Python vectors (differences listed and why).
 */
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import jwt from 'jsonwebtoken';
import Joi from 'joi';
import { tokenUserDataSchema } from '../../../lib/core/schemas';
import { checkAccessPayload } from '../../../lib/security/claims';
import { TokenIssuer } from '../../../lib/security/token-issuer';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { hostileTokens } from '../../fixtures/hostile-tokens';
import { HS_SECRET, REFRESH_SECRET, ecKeys, rsaKeys } from '../../helpers/keys';
import { accessClaims } from '../../helpers/mint-token';

const cases = [
  ['HS256', HS_SECRET, HS_SECRET],
  ['RS256', rsaKeys().privateKey, rsaKeys().publicKey],
  ['ES256', ecKeys().privateKey, ecKeys().publicKey],
] as const;

function joseKey(alg: string, key: string | KeyObject): Uint8Array | KeyObject {
  return alg === 'HS256' ? new TextEncoder().encode(key as string) : (key as KeyObject);
}

describe.each(cases)('%s interop', (alg, signKey, verifyKey) => {
  const issuer = new TokenIssuer({
    accessKeys: [{ secret: { key: signKey, algorithm: alg }, kid: 'k1' }],
    refreshSecret: REFRESH_SECRET,
    issuer: 'https://auth.example.com',
    audience: 'api',
  });
  const validator = new TokenValidator({
    secret: { key: verifyKey, algorithm: alg },
    config: createValidationConfig({
      allowedAlgorithms: [alg],
      issuer: 'https://auth.example.com',
      audience: 'api',
      requireIss: true,
      requireAud: true,
    }),
  });

  it('a TokenIssuer token validates under jose and jsonwebtoken with the same key', async () => {
    const { token, jti } = issuer.issueAccessToken({
      sub: 'user-1',
      email: 'x@example.com',
      role: 'admin',
    });
    const { payload, protectedHeader } = await jose.jwtVerify(token, joseKey(alg, verifyKey), {
      algorithms: [alg],
      issuer: 'https://auth.example.com',
      audience: 'api',
    });
    expect(payload).toMatchObject({ sub: 'user-1', jti, type: 'access', role: 'admin' });
    expect(protectedHeader).toMatchObject({ alg, kid: 'k1', typ: 'JWT' });
    expect(
      jwt.verify(token, verifyKey, {
        algorithms: [alg],
        issuer: 'https://auth.example.com',
        audience: 'api',
      }),
    ).toMatchObject({ sub: 'user-1' });
    await expect(validator.validateAccessToken(token)).resolves.toMatchObject({
      sub: 'user-1',
      jti,
    });
  });

  it('a token minted by jose validates here', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({
      type: 'access',
      email: 'jose@example.com',
      jti: 'jose-1',
      role: 'writer',
    })
      .setProtectedHeader({ alg, kid: 'k1' })
      .setSubject('user-jose')
      .setIssuer('https://auth.example.com')
      .setAudience(['other', 'api'])
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(joseKey(alg, signKey));
    await expect(validator.validateAccessToken(token)).resolves.toMatchObject({
      sub: 'user-jose',
      role: 'writer',
      email: 'jose@example.com',
    });
  });

  it('differential: our verifier and jsonwebtoken agree on the hostile corpus (known differences aside)', async () => {
    const plain = new TokenValidator({
      secret: { key: verifyKey, algorithm: alg },
      config: createValidationConfig({ allowedAlgorithms: [alg] }),
      cache: false,
    });
    // Where jsonwebtoken accepts and we refuse, on purpose:
    const weStricter = new Set([
      'crit header naming exp, validly signed', // jsonwebtoken ignores crit (RFC 7515 §4.1.11 says refuse)
      'crit b64=false, validly signed',
      'iat in the future, validly signed', // PyJWT (and so the fleet) refuses a future iat
      'kid of 10 kB', // our 8 KiB size limit
      'oversized token (> 8 KiB)',
      'sub as a number', // PyJWT >= 2.10: sub and jti must be strings
      'jti as an object',
      'jti empty', // payload rules of the Python TokenUserData (app layer, not JWT layer)
      'type refresh',
      'type missing',
      'email invalid',
      'role unknown',
      'is_superuser as a string',
      'sub missing',
      'exp null', // jsonwebtoken treats null exp as absent; a required claim here
      'leading and trailing whitespace', // jsonwebtoken trims; a token is exact bytes here
      'newline appended',
      'payload a JSON array, validly signed', // RFC 7519 §7.2: the claims set is a JSON object
      'payload a number, validly signed',
      'exp as Infinity (1e400)', // jsonwebtoken: a never-expiring token; NumericDate must be finite
    ]);
    const corpus = hostileTokens({
      alg,
      signKey,
      publicPem:
        alg === 'HS256'
          ? undefined
          : (verifyKey as KeyObject).export({ format: 'pem', type: 'spki' }).toString(),
    });
    const disagreements: string[] = [];
    for (const { name, token } of corpus) {
      let theirs: boolean;
      try {
        jwt.verify(token, verifyKey, { algorithms: [alg] });
        theirs = true;
      } catch {
        theirs = false;
      }
      const ours = await plain.validateAccessToken(token).then(
        () => true,
        () => false,
      );
      expect([name, ours]).toEqual([name, false]); // we refuse every hostile token
      if (theirs !== ours && !weStricter.has(name)) disagreements.push(name);
    }
    expect(disagreements).toEqual([]);
  });
});

describe('differential on the Python vectors', () => {
  const fixture = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../fixtures/python-sdk-vectors.json'), 'utf8'),
  ) as {
    keys: Record<string, { secret?: string; public_pem?: string }>;
    vectors: Array<{
      kind: string;
      alg: 'HS256' | 'RS256' | 'ES256';
      name: string;
      token: string;
      issuer: string | null;
      audience: string | null;
      expect: { accept: boolean };
    }>;
  };
  // Verdicts that rest on PyJWT/TokenUserData rules jsonwebtoken does not have (required
  // exp/sub/jti/type, a future iat, the payload model).
  const payloadLevel =
    /missing exp|future \(iat\)|missing sub|missing jti|missing type|null jti|refresh-typed|unknown role|missing email/;

  it('jsonwebtoken agrees with the Python verdict on every JWT-layer vector', () => {
    for (const v of fixture.vectors.filter(
      (x) => x.kind === 'access' && !payloadLevel.test(x.name),
    )) {
      const key = v.alg === 'HS256' ? fixture.keys.HS256.secret! : fixture.keys[v.alg].public_pem!;
      let accepted = true;
      try {
        jwt.verify(v.token, key, {
          algorithms: [v.alg],
          clockTolerance: 5,
          ...(v.issuer ? { issuer: v.issuer } : {}),
          ...(v.audience ? { audience: v.audience } : {}),
        });
      } catch {
        accepted = false;
      }
      expect([`${v.alg} ${v.name}`, accepted]).toEqual([`${v.alg} ${v.name}`, v.expect.accept]);
    }
  });
});

describe('checkAccessPayload agrees with the joi tokenUserDataSchema', () => {
  const base = accessClaims();
  const variants: Array<Record<string, unknown>> = [
    base,
    { ...base, role: 'superadmin' },
    { ...base, role: 'god' },
    { ...base, role: null },
    { ...base, role: undefined },
    { ...base, email: 'not-an-email' },
    { ...base, email: 'a@b.test' },
    { ...base, email: 'first.last+tag@sub.example.co.uk' },
    { ...base, email: undefined },
    { ...base, jti: '' },
    { ...base, jti: 5 },
    { ...base, sub: 5 },
    { ...base, full_name: null, avatar: 'x' },
    { ...base, full_name: 7 },
    { ...base, is_active: 'true' },
    { ...base, is_superuser: false, email_verified: true },
    { ...base, exp: 1.5 },
    { ...base, exp: null },
    { ...base, tenant_id: 't-1' },
    { ...base, extra: { nested: true } },
  ];

  it.each(variants.map((v, i) => [i, v] as const))('variant %i', (_i, payload) => {
    const fast = checkAccessPayload(payload);
    const { error, value } = tokenUserDataSchema.validate(payload);
    expect(fast === undefined).toBe(error !== undefined);
    if (fast !== undefined) {
      const expected = { ...(value as Record<string, unknown>) };
      for (const k of ['iat', 'nbf', 'iss', 'aud']) delete expected[k];
      expect(fast).toEqual(Joi.attempt(expected, Joi.object().unknown(true)));
    }
  });
});
