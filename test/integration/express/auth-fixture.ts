/**
 * Real keys and real tokens for the adapter tests: a fresh ES256 key per fixture, tokens signed
 * with node:crypto (independent of the package's issuer, so a bug there cannot hide one here),
 * a real `TokenValidator` + `TokenPolicy` over a real (optionally faulty) revocation store.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { RoleName } from '../../../lib/core/types';
import type { RevocationStore } from '../../../lib/security/store-contracts';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { FaultyRevocationStore } from '../../helpers/faulty-stores';

export const ISSUER = 'urn:test:issuer';
export const AUDIENCE = 'urn:test:api';
export const USER_ID = '3f1c1f8e-8a55-4c39-9f0e-2b7f8d5e9a10';

const b64url = (value: object | Buffer): string =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

export function signEs256(
  payload: Record<string, unknown>,
  key: KeyObject,
  header: Record<string, unknown> = {},
): string {
  const head = b64url({ alg: 'ES256', typ: 'JWT', ...header });
  const body = b64url(payload);
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return `${head}.${body}.${b64url(signature)}`;
}

export interface AuthFixture {
  policy: TokenPolicy;
  validator: TokenValidator;
  store: FaultyRevocationStore;
  privateKey: KeyObject;
  publicKeyPem: string;
  /** A valid access token; `overrides` replace claims (`undefined` removes one). */
  token(overrides?: Record<string, unknown>): string;
  tokenFor(role: RoleName): string;
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
}

export function createAuthFixture(options: { store?: RevocationStore } = {}): AuthFixture {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const validator = new TokenValidator({
    secret: { key: publicKeyPem, algorithm: 'ES256' },
    config: createValidationConfig({
      issuer: ISSUER,
      audience: AUDIENCE,
      requireIss: true,
      requireAud: true,
      allowedAlgorithms: ['ES256'],
    }),
    // Revocation must be seen on every request; the cache never skips it, but keep tests exact.
    cache: false,
  });
  const store = new FaultyRevocationStore();
  const policy = new TokenPolicy({
    validator,
    revocationStore: options.store ?? store,
    tokenMode: 'stateful',
    failureMode: 'fail_closed',
    breaker: false,
    timeoutMs: 200,
    logger: { warn: () => undefined, error: () => undefined },
  });
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    const base: Record<string, unknown> = {
      sub: USER_ID,
      jti: randomUUID(),
      type: 'access',
      iat: now,
      exp: now + 600,
      iss: ISSUER,
      aud: AUDIENCE,
      email: 'user@example.com',
      full_name: 'Test User',
      is_active: true,
      email_verified: true,
      is_superuser: false,
      role: 'user',
    };
    const merged = { ...base, ...overrides };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    return merged;
  };
  const token = (overrides?: Record<string, unknown>): string =>
    signEs256(claims(overrides), privateKey);
  return {
    policy,
    validator,
    store,
    privateKey,
    publicKeyPem,
    token,
    tokenFor: (role) => token({ role }),
    claims,
  };
}

/** A second, unrelated key: tokens it signs must be refused. */
export function foreignKey(): KeyObject {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
}

export const quietLogger = { warn: () => undefined, error: () => undefined };
