/**
 * Builders of `InvalidTokenError.detail` / `FailureEvent.detail`: why a token was refused, for
 * the server's logs and hooks only. A detail never holds the token, a secret or a claim's
 * value: only fixed words, a claim's NAME, or a short algorithm or role name.
 */

const SHORT_NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** `value` when it is a short `[A-Za-z0-9_-]` name (at most 32 characters), else `other`. */
export function shortName(value: unknown): string {
  return typeof value === 'string' && SHORT_NAME.test(value) ? value : 'other';
}

/** `missing_claim:<name>`: the claim is absent (or JSON null where that counts as absent). */
export function missingClaim(name: string): string {
  return `missing_claim:${shortName(name)}`;
}

/** `claim_type:<name>`: the claim has the wrong JSON type. */
export function claimType(name: string): string {
  return `claim_type:${shortName(name)}`;
}

/** `claim_value:<name>`: the claim has the right type but a value that is refused. */
export function claimValue(name: string): string {
  return `claim_value:${shortName(name)}`;
}

/** The detail of a claim that is absent, of the wrong type or of a refused value. */
export function claimProblem(name: string, value: unknown): string {
  return value === undefined || value === null ? missingClaim(name) : claimType(name);
}
