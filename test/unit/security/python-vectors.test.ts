/**
 * Every token of `test/fixtures/python-sdk-vectors.json` (minted by the Python stack) gets the
 * verdict and message the Python SDK 0.6.10 gives it: access tokens through TokenValidator,
 * refresh tokens through RefreshTokenPolicy (stateless, as Python's decode).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidTokenError } from '../../../lib/core/errors';
import type { TokenAlgorithm } from '../../../lib/core/types';
import { RefreshTokenPolicy } from '../../../lib/security/refresh-token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';

interface Vector {
  kind: 'access' | 'refresh';
  alg: TokenAlgorithm;
  name: string;
  token: string;
  issuer: string | null;
  audience: string | null;
  old_secret_configured?: boolean;
  expect:
    | { accept: true; sub?: string; role?: string; email?: string; user_id?: string; jti?: string }
    | { accept: false; message: string };
}

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../fixtures/python-sdk-vectors.json'), 'utf8'),
) as {
  keys: {
    HS256: { secret: string };
    RS256: { public_pem: string };
    ES256: { public_pem: string };
    refresh: { secret: string; old_secret: string };
  };
  vectors: Vector[];
};

function accessKey(alg: TokenAlgorithm): string {
  return alg === 'HS256' ? fixture.keys.HS256.secret : fixture.keys[alg].public_pem;
}

const access = fixture.vectors.filter((v) => v.kind === 'access');
const refresh = fixture.vectors.filter((v) => v.kind === 'refresh');

describe('Python SDK vectors: access tokens through TokenValidator', () => {
  it('covers all three algorithms', () => {
    expect(new Set(access.map((v) => v.alg))).toEqual(new Set(['HS256', 'RS256', 'ES256']));
    expect(access.length).toBeGreaterThanOrEqual(60);
  });

  it.each(access.map((v) => [`${v.alg} ${v.name}`, v] as const))('%s', async (_title, vector) => {
    const config = createValidationConfig({
      allowedAlgorithms: [vector.alg],
      issuer: vector.issuer ?? undefined,
      audience: vector.audience ?? undefined,
      requireIss: vector.issuer !== null,
      requireAud: vector.audience !== null,
    });
    const validator = new TokenValidator({
      secret: { key: accessKey(vector.alg), algorithm: vector.alg },
      config,
      cache: false,
    });
    const outcome = validator.validateAccessToken(vector.token);
    if (vector.expect.accept) {
      const claims = await outcome;
      expect(claims.sub).toBe(vector.expect.sub);
      expect(claims.role).toBe(vector.expect.role);
      expect(claims.email).toBe(vector.expect.email);
      expect(claims.type).toBe('access');
    } else {
      const message = vector.expect.message;
      await expect(outcome).rejects.toThrow(InvalidTokenError);
      await expect(outcome).rejects.toMatchObject({ message, status: 401 });
    }
  });
});

describe('Python SDK vectors: refresh tokens through RefreshTokenPolicy', () => {
  it.each(refresh.map((v) => [v.name, v] as const))('%s', async (_title, vector) => {
    const warnings: string[] = [];
    const policy = new RefreshTokenPolicy({
      secret: fixture.keys.refresh.secret,
      oldSecret: vector.old_secret_configured ? fixture.keys.refresh.old_secret : undefined,
      logger: {
        warn: (message) => warnings.push(message),
        error: (message) => warnings.push(message),
      },
    });
    const outcome = policy.validateAndRotate(vector.token, { newJti: 'rt-new' });
    if (vector.expect.accept) {
      const result = await outcome;
      expect(result.userId).toBe(vector.expect.user_id);
      expect(result.oldJti).toBe(vector.expect.jti);
      // Python logs this WARNING when only the old key verifies.
      expect(warnings).toEqual(
        vector.old_secret_configured
          ? [
              'Refresh token accepted with old key — remove REFRESH_SECRET_KEY_OLD once all old-key tokens have expired',
            ]
          : [],
      );
    } else {
      await expect(outcome).rejects.toThrow(InvalidTokenError);
      await expect(outcome).rejects.toMatchObject({ message: vector.expect.message, status: 401 });
    }
  });
});
