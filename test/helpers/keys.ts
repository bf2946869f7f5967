/** Real keys for tests, generated once per test file (module cache). */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

function pair(
  kind: 'rsa' | 'ec',
  options: { modulusLength?: number; namedCurve?: string },
): KeyPair {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 })
      : generateKeyPairSync('ec', { namedCurve: options.namedCurve ?? 'P-256' });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

const cache = new Map<string, KeyPair>();
function cached(name: string, make: () => KeyPair): KeyPair {
  let value = cache.get(name);
  if (value === undefined) {
    value = make();
    cache.set(name, value);
  }
  return value;
}

export const rsaKeys = (name = 'default'): KeyPair =>
  cached(`rsa:${name}`, () => pair('rsa', { modulusLength: 2048 }));
export const ecKeys = (name = 'default'): KeyPair =>
  cached(`ec:${name}`, () => pair('ec', { namedCurve: 'P-256' }));
export const weakRsaKeys = (): KeyPair =>
  cached('rsa1024', () => pair('rsa', { modulusLength: 1024 }));
export const p384Keys = (): KeyPair => cached('p384', () => pair('ec', { namedCurve: 'P-384' }));

/** HS256 secrets in the Python SDK's strong format (32+ chars, upper, lower, digit, -/_). */
export const HS_SECRET = 'Test-Secret_Key-0123456789-ABCDEFGHIJ-xyz';
export const HS_SECRET_OTHER = 'Other-Secret_Key-9876543210-ZYXWVUTSRQ-abc';
export const REFRESH_SECRET = 'Test-Refresh_Key-0123456789-ABCDEFGHIJ-xyz';
export const REFRESH_SECRET_OLD = 'Test-OldRefresh_Key-0123456789-ABCDEFG-xyz';
