/**
 * Compact JWS primitives on node:crypto only: the hot path of every request.
 *
 * Why not jsonwebtoken's verify: it re-parses string keys on every call, ignores `crit`
 * (RFC 7515 §4.1.11) and trusts the header more than RFC 8725 allows. Keys are imported
 * once by `prepareKey`; `verifyCompact` then does the minimum any validator must do.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { ConfigurationError } from '../core/errors';
import type { TokenAlgorithm } from '../core/types';
import { shortName } from './failure-detail';
import type { TokenSecret } from './types';

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  crit?: unknown;
  [name: string]: unknown;
}

/** A key imported once for one algorithm. Opaque: build it with `prepareKey`. */
export interface PreparedKey {
  readonly algorithm: TokenAlgorithm;
}

interface HmacKey extends PreparedKey {
  readonly algorithm: 'HS256';
  readonly secret: Buffer;
}

interface AsymmetricKey extends PreparedKey {
  readonly algorithm: 'RS256' | 'ES256';
  readonly keyObject: KeyObject;
  readonly use: 'verify' | 'sign';
  /** What node:crypto is given, built once (ES256 needs the raw r||s signature encoding). */
  readonly cryptoKey: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' };
}

export type JwsFailure = 'malformed' | 'too_large' | 'algorithm' | 'crit' | 'signature';

/**
 * Why a compact JWS was refused; `kind` is stable, the message is for logs only. `detail` is
 * the finer `InvalidTokenError.detail` (`malformed:segments`, `alg_not_allowed:HS512`, …):
 * never any part of the token but a short `[A-Za-z0-9_-]` algorithm name.
 */
export class JwsError extends Error {
  readonly kind: JwsFailure;
  readonly detail: string;

  constructor(kind: JwsFailure, message: string = kind, detail: string = kind) {
    super(message);
    this.name = 'JwsError';
    this.kind = kind;
    this.detail = detail;
  }
}

/** The detail of a refusal: `JwsError.detail`, or `malformed` for anything else thrown. */
export function jwsFailureDetail(error: unknown): string {
  return error instanceof JwsError ? error.detail : 'malformed';
}

/** Tokens longer than this are refused before any parsing (8 KiB fits any sane JWT). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
const MIN_HMAC_KEY_BYTES = 32;
const MIN_RSA_BITS = 2048;
const ES256_SIGNATURE_BYTES = 64;
const HS256_SIGNATURE_BYTES = 32;

// Header and signature must be strict base64url (the signature may not be empty: `alg: none`
// has none). The payload segment is covered by the signature: a changed byte fails the check.
const B64URL = /^[A-Za-z0-9_-]+$/;
const PEM_MARKER = '-----BEGIN';

/**
 * Import a key once for `algorithm`, checking it fits: an HS256 secret of at least 32 bytes
 * that is not PEM or public-key material (the HS256/RS256 confusion attack), an RSA key of at
 * least 2048 bits for RS256, a P-256 EC key for ES256.
 */
export function prepareKey(secret: TokenSecret, use: 'verify' | 'sign' = 'verify'): PreparedKey {
  const { key, algorithm } = secret;
  if (algorithm === 'HS256') return prepareHmacKey(key);
  if (algorithm !== 'RS256' && algorithm !== 'ES256') {
    throw new ConfigurationError(
      `Unsupported algorithm ${JSON.stringify(algorithm)}: use HS256, RS256 or ES256.`,
    );
  }
  const keyObject = importAsymmetric(key, use, algorithm);
  assertKeyFitsAlgorithm(keyObject, algorithm);
  const cryptoKey =
    algorithm === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' as const } : keyObject;
  const prepared: AsymmetricKey = { algorithm, keyObject, use, cryptoKey };
  return Object.freeze(prepared);
}

function prepareHmacKey(key: TokenSecret['key']): HmacKey {
  let secret: Buffer;
  if (typeof key === 'string') {
    if (key.includes(PEM_MARKER)) {
      throw new ConfigurationError(
        'An HS256 secret must not be PEM key material: a public key is public, so it cannot authenticate a token.',
      );
    }
    secret = Buffer.from(key, 'utf8');
  } else if (Buffer.isBuffer(key)) {
    secret = Buffer.from(key);
  } else if (key.type === 'secret') {
    secret = key.export();
  } else {
    throw new ConfigurationError(
      `An HS256 secret must be a string, a Buffer or a secret KeyObject, not a ${key.type} key.`,
    );
  }
  if (secret.length < MIN_HMAC_KEY_BYTES) {
    throw new ConfigurationError(
      `An HS256 secret must be at least ${MIN_HMAC_KEY_BYTES} bytes long (RFC 7518 §3.2); got ${secret.length}.`,
    );
  }
  return Object.freeze({ algorithm: 'HS256' as const, secret });
}

function importAsymmetric(
  key: TokenSecret['key'],
  use: 'verify' | 'sign',
  algorithm: 'RS256' | 'ES256',
): KeyObject {
  try {
    if (typeof key === 'string' || Buffer.isBuffer(key)) {
      // A private PEM also yields its public half, so a signer's key can verify too.
      return use === 'sign' ? createPrivateKey(key) : createPublicKey(key);
    }
    if (key.type === 'secret') throw new Error('a secret KeyObject is not an asymmetric key');
    if (use === 'sign') {
      if (key.type !== 'private') throw new Error('signing needs the private key');
      return key;
    }
    return key.type === 'private' ? createPublicKey(key) : key;
  } catch (err) {
    throw new ConfigurationError(
      `Cannot use this key for ${algorithm}: ${(err as Error).message}`,
      [],
      { cause: err },
    );
  }
}

function assertKeyFitsAlgorithm(keyObject: KeyObject, algorithm: 'RS256' | 'ES256'): void {
  const type = keyObject.asymmetricKeyType;
  const details = keyObject.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256') {
    if (type !== 'rsa') throw new ConfigurationError(`RS256 requires an RSA key; got ${type}`);
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new ConfigurationError(
        `RS256 requires a minimum ${MIN_RSA_BITS}-bit RSA key; loaded key is ${bits} bits`,
      );
    }
    return;
  }
  if (type !== 'ec') throw new ConfigurationError(`ES256 requires an EC key; got ${type}`);
  if (details.namedCurve !== 'prime256v1') {
    throw new ConfigurationError(
      `ES256 requires a P-256 (secp256r1) EC curve; loaded key uses ${details.namedCurve}`,
    );
  }
}

// Headers repeat across tokens of one issuer: parse each distinct header segment once.
const HEADER_CACHE_MAX = 256;
const headerCache = new Map<string, JwsHeader>();

function parseJsonObject(segment: string, which: 'header' | 'payload'): Record<string, unknown> {
  const detail = `malformed:${which}_json`;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError('malformed', 'segment is not base64url-encoded JSON', detail);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new JwsError('malformed', 'segment is not a JSON object', detail);
  }
  return value as Record<string, unknown>;
}

function parseHeader(segment: string): JwsHeader {
  const cached = headerCache.get(segment);
  if (cached !== undefined) return cached;
  const header = parseJsonObject(segment, 'header');
  if (typeof header.alg !== 'string') {
    throw new JwsError('malformed', 'header has no alg', 'malformed:header_alg');
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw new JwsError('malformed', 'kid must be a string', 'malformed:header_kid');
  }
  const frozen = Object.freeze(header) as JwsHeader;
  if (segment.length <= 512) {
    if (headerCache.size >= HEADER_CACHE_MAX) headerCache.clear();
    headerCache.set(segment, frozen);
  }
  return frozen;
}

function split(token: string, maxLength: number): [string, string, string] {
  if (typeof token !== 'string') {
    throw new JwsError('malformed', 'token is not a string', 'malformed:not_string');
  }
  if (token.length > maxLength) throw new JwsError('too_large', 'token exceeds the size limit');
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw new JwsError('malformed', 'not a compact JWS (three segments)', 'malformed:segments');
  }
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (!B64URL.test(header) || !B64URL.test(signature) || payload.length === 0) {
    throw new JwsError('malformed', 'not base64url', 'malformed:base64url');
  }
  return [header, payload, signature];
}

/** Parse the protected header without verifying anything (to pick a key by `kid`). */
export function decodeHeader(token: string, maxLength = DEFAULT_MAX_TOKEN_LENGTH): JwsHeader {
  return parseHeader(split(token, maxLength)[0]);
}

/**
 * Verify a compact JWS with `key` and return its header and payload. The header's `alg` must
 * equal the key's algorithm (never `none`, never a swap), any `crit` header is refused (we
 * implement no extensions), key-carrying headers (`jwk`, `jku`, `x5u`, `x5c`) are ignored.
 * Registered claims are NOT checked here (see `claims.ts`).
 */
export function verifyCompact(
  token: string,
  key: PreparedKey,
  options?: { maxLength?: number },
): { header: JwsHeader; payload: Record<string, unknown> } {
  const [headerSegment, payloadSegment, signatureSegment] = split(
    token,
    options?.maxLength ?? DEFAULT_MAX_TOKEN_LENGTH,
  );
  const header = parseHeader(headerSegment);
  if (header.alg !== key.algorithm) {
    const alg = shortName(header.alg);
    throw new JwsError(
      'algorithm',
      `alg ${alg} is not the key's ${key.algorithm}`,
      `alg_not_allowed:${alg}`,
    );
  }
  if (header.crit !== undefined) throw new JwsError('crit', 'unsupported crit header');
  const signingInput = token.slice(0, headerSegment.length + 1 + payloadSegment.length);
  const signature = Buffer.from(signatureSegment, 'base64url');
  if (!verifySignature(key, signingInput, signature)) {
    throw new JwsError('signature', 'signature verification failed');
  }
  return { header, payload: parseJsonObject(payloadSegment, 'payload') };
}

function verifySignature(key: PreparedKey, signingInput: string, signature: Buffer): boolean {
  if (key.algorithm === 'HS256') {
    if (signature.length !== HS256_SIGNATURE_BYTES) return false;
    const expected = createHmac('sha256', (key as HmacKey).secret)
      .update(signingInput)
      .digest();
    return timingSafeEqual(expected, signature);
  }
  if (key.algorithm === 'ES256' && signature.length !== ES256_SIGNATURE_BYTES) return false;
  return cryptoVerify(
    'sha256',
    Buffer.from(signingInput),
    (key as AsymmetricKey).cryptoKey,
    signature,
  );
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Sign `payload` as a compact JWS (`typ: JWT`). The key must be prepared with use 'sign'. */
export function signCompact(
  payload: Record<string, unknown>,
  key: PreparedKey,
  header?: { kid?: string },
): string {
  const protectedHeader: JwsHeader = { alg: key.algorithm, typ: 'JWT' };
  if (header?.kid !== undefined) protectedHeader.kid = header.kid;
  const signingInput = `${encodeSegment(protectedHeader)}.${encodeSegment(payload)}`;
  let signature: Buffer;
  if (key.algorithm === 'HS256') {
    signature = createHmac('sha256', (key as HmacKey).secret)
      .update(signingInput)
      .digest();
  } else {
    const asymmetric = key as AsymmetricKey;
    if (asymmetric.use !== 'sign') {
      throw new ConfigurationError(
        'This key was prepared for verification; prepare it with use "sign".',
      );
    }
    signature = cryptoSign('sha256', Buffer.from(signingInput), asymmetric.cryptoKey);
  }
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The public KeyObject of an asymmetric prepared key (for JWKS publication). */
export function publicKeyOf(key: PreparedKey): KeyObject | undefined {
  if (key.algorithm === 'HS256') return undefined;
  const { keyObject } = key as AsymmetricKey;
  return keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
}
