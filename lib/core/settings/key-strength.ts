import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { TokenAlgorithm } from '../types';

const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'secp256r1',
  secp384r1: 'secp384r1',
  secp521r1: 'secp521r1',
  secp256k1: 'secp256k1',
};

/**
 * Python `_assert_key_strength`: the PEM must parse; RS256 needs an RSA key of at least 2048
 * bits, ES256 an EC key on P-256. Returns the problem (Python's message) or undefined.
 */
export function keyStrengthProblem(
  pem: string,
  algorithm: TokenAlgorithm,
  isPrivate: boolean,
): string | undefined {
  let key: KeyObject;
  try {
    key = isPrivate ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (err) {
    return `Cannot parse PEM key material: ${(err as Error).message}`;
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256') {
    if (type !== 'rsa') return `RS256 requires an RSA key; got ${typeName(type)}`;
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) {
      return `RS256 requires a minimum 2048-bit RSA key; loaded key is ${bits} bits`;
    }
  }
  if (algorithm === 'ES256') {
    if (type !== 'ec') return `ES256 requires an EC key; got ${typeName(type)}`;
    if (details.namedCurve !== 'prime256v1') {
      const curve = details.namedCurve ?? 'unknown';
      return `ES256 requires a P-256 (secp256r1) EC curve; loaded key uses ${(CURVE_NAMES[curve] ?? curve).toUpperCase()}`;
    }
  }
  return undefined;
}

function typeName(type: string | undefined): string {
  if (type === 'rsa') return 'RSAPublicKey';
  if (type === 'ec') return 'EllipticCurvePublicKey';
  return type ?? 'unknown';
}
