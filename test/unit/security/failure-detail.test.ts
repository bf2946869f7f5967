/**
 * `InvalidTokenError.detail` and `FailureEvent.detail`: why a token was refused, for the
 * server's logs and hooks. The client-facing answer (body, challenge) stays the same for
 * every refusal of one reason, and no detail echoes the token or a claim's value.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { InvalidTokenError } from '../../../lib/core/errors';
import { toErrorResponse, withRealm } from '../../../lib/core/error-response';
import { RefreshTokenPolicy } from '../../../lib/security/refresh-token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import type { FailureEvent } from '../../../lib/security/types';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { HS_SECRET, HS_SECRET_OTHER } from '../../helpers/keys';
import { accessClaims, b64url, mint, without } from '../../helpers/mint-token';

const REFRESH_SECRET = 'Refresh-Test_Secret-0123456789-abcdefghijk';
const now = () => Math.floor(Date.now() / 1000);

function validatorWith(options: Parameters<typeof createValidationConfig>[0] = {}): {
  validator: TokenValidator;
  failures: FailureEvent[];
} {
  const failures: FailureEvent[] = [];
  const validator = new TokenValidator({
    secret: { key: HS_SECRET, algorithm: 'HS256' },
    config: createValidationConfig(options),
    cache: false,
    hooks: { onFailure: (event) => failures.push(event) },
  });
  return { validator, failures };
}

async function refusal(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof InvalidTokenError)) throw new Error(`not refused: ${String(error)}`);
  return error;
}

/** `[name, reason, detail, token]`: the title shows the name, not the token's code. */
function titled(
  cases: ReadonlyArray<[string, () => string, string, string]>,
): Array<[string, string, string, () => string]> {
  return cases.map(([name, token, reason, detail]) => [name, reason, detail, token]);
}

const good = (claims: Record<string, unknown>) => mint(claims, { key: HS_SECRET });
const [validHeader, validPayload, validSignature] = good(accessClaims()).split('.');

describe('InvalidTokenError.detail of the access-token validator', () => {
  const cases: Array<[string, () => string, string, string]> = [
    ['another key', () => mint(accessClaims(), { key: HS_SECRET_OTHER }), 'invalid', 'signature'],
    [
      'alg HS512 in the header',
      () => `${b64url({ alg: 'HS512', typ: 'JWT' })}.${validPayload}.${validSignature}`,
      'invalid',
      'alg_not_allowed:HS512',
    ],
    [
      'alg none',
      () => `${b64url({ alg: 'none', typ: 'JWT' })}.${validPayload}.${validSignature}`,
      'invalid',
      'alg_not_allowed:none',
    ],
    [
      'an alg that is not a short name',
      () => `${b64url({ alg: 'HS256<script>', typ: 'JWT' })}.${validPayload}.${validSignature}`,
      'invalid',
      'alg_not_allowed:other',
    ],
    [
      'an alg of 33 characters',
      () => `${b64url({ alg: 'A'.repeat(33), typ: 'JWT' })}.${validPayload}.${validSignature}`,
      'invalid',
      'alg_not_allowed:other',
    ],
    ['two segments', () => `${validHeader}.${validPayload}`, 'invalid', 'malformed:segments'],
    [
      'padding in the header',
      () => `${validHeader}=.${validPayload}.${validSignature}`,
      'invalid',
      'malformed:base64url',
    ],
    [
      'a header that is not JSON',
      () => `${b64url('not json')}.${validPayload}.${validSignature}`,
      'invalid',
      'malformed:header_json',
    ],
    [
      'a payload that is not JSON, validly signed',
      () => mint({}, { key: HS_SECRET, rawPayload: '{"sub":' }),
      'invalid',
      'malformed:payload_json',
    ],
    [
      'crit header',
      () => mint(accessClaims(), { key: HS_SECRET, header: { crit: ['exp'] } }),
      'invalid',
      'crit',
    ],
    ['type missing', () => good(without(accessClaims(), 'type')), 'invalid', 'missing_claim:type'],
    ['exp null', () => good(accessClaims({ exp: null })), 'invalid', 'missing_claim:exp'],
    ['exp a string', () => good(accessClaims({ exp: '99' })), 'invalid', 'claim_type:exp'],
    ['iat a string', () => good(accessClaims({ iat: '1' })), 'invalid', 'claim_type:iat'],
    ['nbf in the future', () => good(accessClaims({ nbf: now() + 600 })), 'invalid', 'not_before'],
    ['iat in the future', () => good(accessClaims({ iat: now() + 600 })), 'invalid', 'iat_future'],
    ['sub a number', () => good(accessClaims({ sub: 7 })), 'invalid', 'claim_type:sub'],
    ['expired', () => good(accessClaims({ exp: now() - 600 })), 'expired', 'expired'],
    [
      'type refresh',
      () => good(accessClaims({ type: 'refresh' })),
      'wrong_type',
      'claim_value:type',
    ],
    ['jti empty', () => good(accessClaims({ jti: '' })), 'invalid_payload', 'claim_value:jti'],
    [
      'email invalid',
      () => good(accessClaims({ email: 'secret-address' })),
      'invalid_payload',
      'claim_value:email',
    ],
    [
      'email missing',
      () => good(without(accessClaims(), 'email')),
      'invalid_payload',
      'missing_claim:email',
    ],
    [
      'role unknown',
      () => good(accessClaims({ role: 'god' })),
      'invalid_payload',
      'role_unknown:god',
    ],
    [
      'role of 32 characters',
      () => good(accessClaims({ role: 'r'.repeat(32) })),
      'invalid_payload',
      `role_unknown:${'r'.repeat(32)}`,
    ],
    [
      'role of 33 characters',
      () => good(accessClaims({ role: 'r'.repeat(33) })),
      'invalid_payload',
      'role_unknown:other',
    ],
    [
      'role with a space',
      () => good(accessClaims({ role: 'super admin' })),
      'invalid_payload',
      'role_unknown:other',
    ],
    ['role null', () => good(accessClaims({ role: null })), 'invalid_payload', 'claim_type:role'],
    [
      'avatar a number',
      () => good(accessClaims({ avatar: 1 })),
      'invalid_payload',
      'claim_type:avatar',
    ],
    [
      'is_superuser a string',
      () => good(accessClaims({ is_superuser: 'true' })),
      'invalid_payload',
      'claim_type:is_superuser',
    ],
  ];

  it.each(titled(cases))(
    '%s → %s / %s, on the error and the hook',
    async (_name, reason, detail, token) => {
      const { validator, failures } = validatorWith();
      const error = await refusal(validator.validateAccessToken(token()));
      expect({ reason: error.reason, detail: error.detail }).toEqual({ reason, detail });
      expect(failures).toEqual([{ reason, tokenType: 'access', detail }]);
    },
  );

  it('names the iss and aud mismatches when they are required', async () => {
    const { validator } = validatorWith({
      issuer: 'https://id.example',
      audience: ['api'],
      requireIss: true,
      requireAud: true,
    });
    const base = { iss: 'https://id.example', aud: 'api' };
    const wrongIss = good(accessClaims({ ...base, iss: 'https://evil.example' }));
    const wrongAud = good(accessClaims({ ...base, aud: 'other' }));
    expect((await refusal(validator.validateAccessToken(wrongIss))).detail).toBe('iss_mismatch');
    expect((await refusal(validator.validateAccessToken(wrongAud))).detail).toBe('aud_mismatch');
  });

  it('names a missing claim the configuration requires, by its name only', async () => {
    const { validator } = validatorWith({ requiredClaims: ['exp', 'sub', 'jti', 'type', 'nbf'] });
    const error = await refusal(validator.validateAccessToken(good(accessClaims())));
    expect(error.detail).toBe('missing_claim:nbf');
  });

  it('answers the same body and challenge whatever the detail (no oracle)', async () => {
    const { validator } = validatorWith();
    const signatureError = await refusal(
      validator.validateAccessToken(mint(accessClaims(), { key: HS_SECRET_OTHER })),
    );
    const claimError = await refusal(
      validator.validateAccessToken(good(accessClaims({ exp: '9' }))),
    );
    expect(signatureError.detail).not.toBe(claimError.detail);
    const a = toErrorResponse(signatureError);
    const b = toErrorResponse(claimError);
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).not.toContain('signature');
    expect(JSON.stringify(a)).not.toContain('claim_type');
  });

  it('keeps the detail when an adapter re-issues the error in its realm', async () => {
    const { validator } = validatorWith();
    const error = await refusal(validator.validateAccessToken('a.b'));
    const reissued = withRealm(error, 'shop');
    expect(reissued).not.toBe(error);
    expect(reissued).toBeInstanceOf(InvalidTokenError);
    expect((reissued as InvalidTokenError).detail).toBe('malformed:segments');
    expect(reissued.headers['WWW-Authenticate']).toBe(
      'Bearer realm="shop", error="invalid_token", error_description="Invalid access token"',
    );
  });
});

describe('InvalidTokenError.detail of the refresh-token policy', () => {
  function sign(payload: Record<string, unknown>, secret = REFRESH_SECRET): string {
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }
  const claims = (extra: Record<string, unknown> = {}) => ({
    sub: randomUUID(),
    jti: randomUUID(),
    type: 'refresh',
    exp: now() + 600,
    ...extra,
  });

  const cases: Array<[string, () => string, string, string]> = [
    [
      'another key',
      () => sign(claims(), 'Other-Secret_Key-9876543210-ZYXWVUTSRQ-abc'),
      'invalid',
      'signature',
    ],
    ['three dots', () => 'a.b.c.d', 'invalid', 'malformed:segments'],
    ['expired', () => sign(claims({ exp: now() - 600 })), 'expired', 'expired'],
    ['type missing', () => sign(without(claims(), 'type')), 'invalid', 'missing_claim:type'],
    ['type access', () => sign(claims({ type: 'access' })), 'wrong_type', 'claim_value:type'],
    ['sub not a UUID', () => sign(claims({ sub: 'user-1' })), 'invalid', 'claim_value:sub'],
    ['jti empty', () => sign(claims({ jti: '' })), 'invalid', 'claim_value:jti'],
  ];

  it.each(titled(cases))(
    '%s → %s / %s, on the error and the hook',
    async (_name, reason, detail, token) => {
      const failures: FailureEvent[] = [];
      const policy = new RefreshTokenPolicy({
        secret: REFRESH_SECRET,
        hooks: { onFailure: (event) => failures.push(event) },
      });
      const error = await refusal(policy.verify(token()));
      expect({ reason: error.reason, detail: error.detail }).toEqual({ reason, detail });
      expect(failures).toEqual([{ reason, tokenType: 'refresh', detail }]);
    },
  );
});
