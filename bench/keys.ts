/** Keys and tokens shared by the benchmarks (HS256 32+ byte secret, RSA 2048, EC P-256). */
import { generateKeyPairSync, type KeyObject, createSecretKey } from 'node:crypto';
import { TokenIssuer } from '../lib/security/token-issuer';

export type Alg = 'HS256' | 'RS256' | 'ES256';
export const ALGS: Alg[] = ['HS256', 'RS256', 'ES256'];
export const HS_SECRET = 'Bench-Secret_Key-0123456789-ABCDEFGHIJ-xyz';
export const ISSUER = 'https://auth.bench.example';
export const AUDIENCE = 'https://api.bench.example';

export interface KeySet {
  alg: Alg;
  /** Verification key as most apps pass it: the secret string or the public PEM. */
  verifyString: string;
  /** Verification key imported once. */
  verifyKeyObject: KeyObject;
  signKey: string | KeyObject;
}

export function keysFor(alg: Alg): KeySet {
  if (alg === 'HS256') {
    return {
      alg,
      verifyString: HS_SECRET,
      verifyKeyObject: createSecretKey(Buffer.from(HS_SECRET)),
      signKey: HS_SECRET,
    };
  }
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    alg,
    verifyString: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    verifyKeyObject: publicKey,
    signKey: privateKey,
  };
}

/** `count` distinct valid access tokens (1 h life, iss and aud set). */
export function tokensFor(keys: KeySet, count: number): string[] {
  const issuer = new TokenIssuer({
    accessKeys: { key: keys.signKey, algorithm: keys.alg },
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTtlSeconds: 3600,
  });
  return Array.from(
    { length: count },
    (_, i) =>
      issuer.issueAccessToken({
        sub: `user-${i}`,
        email: `user${i % 100}@example.com`,
        role: 'writer',
      }).token,
  );
}
