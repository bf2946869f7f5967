/**
 * The one secret rule (Python 0.6.10 `SECRET_KEY_REGEX`), used by the settings loader, the
 * refresh-token policy and `keygen`: at least 32 characters of `[A-Za-z0-9_-]` with a
 * lower-case letter, an upper-case letter, a digit and a `-` or `_`.
 */
export const SECRET_KEY_REGEX = /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[-_])[A-Za-z\d\-_]{32,}$/;

/** Shortest secret the rule accepts. */
export const SECRET_KEY_MIN_LENGTH = 32;

/** The rule in words, for error messages: "`NAME` must be " + this. */
export const SECRET_KEY_RULE =
  'at least 32 characters of A-Z a-z 0-9 - _ with a lower-case letter, an upper-case letter, a digit and a - or _';

/** True when `secret` follows the rule. */
export function isStrongSecret(secret: string): boolean {
  return SECRET_KEY_REGEX.test(secret);
}
