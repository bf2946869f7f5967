/** HS256 secrets for `keygen --alg HS256`, always inside the one secret rule. */
import { randomBytes } from 'node:crypto';
import { isStrongSecret, SECRET_KEY_MIN_LENGTH } from '../core/secret-rule';

/** The rule's 64 characters: one random byte's low 6 bits pick one without bias. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Default length: 48 characters, 288 random bits. */
export const GENERATED_SECRET_LENGTH = 48;

/**
 * `length` uniformly random characters of A-Z a-z 0-9 - _, drawn again until the secret has a
 * lower-case letter, an upper-case letter, a digit and a `-` or `_` (about 1 draw in 4 lacks
 * one at 48 characters, mostly the `-`/`_`). Re-drawing keeps the draws uniform over the
 * secrets that pass.
 */
export function generateSecret(length: number = GENERATED_SECRET_LENGTH): string {
  if (!Number.isSafeInteger(length) || length < SECRET_KEY_MIN_LENGTH) {
    throw new RangeError(
      `a secret needs at least ${SECRET_KEY_MIN_LENGTH} characters, got ${String(length)}`,
    );
  }
  for (;;) {
    const bytes = randomBytes(length);
    let secret = '';
    for (const byte of bytes) secret += ALPHABET[byte & 63];
    if (isStrongSecret(secret)) return secret;
  }
}
