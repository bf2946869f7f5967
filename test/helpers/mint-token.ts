/**
 * Mint arbitrary tokens — valid or hostile — independently of the code under test (raw
 * node:crypto), so a bug in our signer cannot hide a bug in our verifier.
 */
import { createHmac, randomUUID, sign, type KeyObject } from 'node:crypto';

export type MintAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'none';

export function b64url(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function signature(
  alg: MintAlgorithm,
  key: string | Buffer | KeyObject | undefined,
  input: string,
): string {
  if (alg === 'none') return '';
  if (alg === 'HS256') {
    return createHmac('sha256', key as string | Buffer)
      .update(input)
      .digest('base64url');
  }
  const keyObject = key as KeyObject;
  return sign(
    'sha256',
    Buffer.from(input),
    alg === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' } : keyObject,
  ).toString('base64url');
}

export interface MintOptions {
  alg?: MintAlgorithm;
  key?: string | Buffer | KeyObject;
  header?: Record<string, unknown>;
  /** Replaces the whole header (raw string allowed, e.g. not-JSON). */
  rawHeader?: string;
  rawPayload?: string;
}

/** Sign `payload` with `alg`/`key`; `header` adds or overrides header members. */
export function mint(payload: Record<string, unknown>, options: MintOptions = {}): string {
  const alg = options.alg ?? 'HS256';
  const header = options.rawHeader ?? JSON.stringify({ alg, typ: 'JWT', ...options.header });
  const input = `${b64url(header)}.${b64url(options.rawPayload ?? JSON.stringify(payload))}`;
  return `${input}.${signature(alg, options.key, input)}`;
}

/** A valid access-token payload (the Python test fixture defaults), overridable. */
export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'user-123',
    jti: `jti-${randomUUID()}`,
    type: 'access',
    email: 'test@example.com',
    role: 'user',
    is_active: true,
    email_verified: false,
    is_superuser: false,
    iat: now,
    exp: now + 3600,
    ...overrides,
  };
}

/** A valid refresh-token payload (the Python test fixture defaults), overridable. */
export function refreshClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: '550e8400-e29b-41d4-a716-446655440000',
    jti: `rt-${randomUUID()}`,
    type: 'refresh',
    exp: Math.floor(Date.now() / 1000) + 3600,
    ...overrides,
  };
}

/** Drop keys from a claims object. */
export function without(
  claims: Record<string, unknown>,
  ...names: string[]
): Record<string, unknown> {
  const copy = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}
