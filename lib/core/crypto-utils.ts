import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex of a token (Python `hash_token`): for storing high-entropy tokens, not passwords. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A PKCE code verifier: 43 base64url characters from 32 random bytes (RFC 7636 §4.1). */
export function createPkce(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * A random OAuth `state` (base64url). Unlike the Python helper it does not carry the PKCE
 * verifier: `state` travels through the front channel, the verifier must not.
 */
export function createState(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time string comparison, safe for different lengths; empty never matches. */
export function timingSafeEqualString(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
