/**
 * User ids as the stores know them. Refresh tokens need UUID subjects (the Python SDK reads
 * `sub` with `uuid.UUID`); the stores key every record by one spelling of each user.
 */

/** The canonical 8-4-4-4-12 form, any case (the one pattern of the package). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The user id of a refresh `sub`, read as Python's `uuid.UUID(sub)` reads it: `urn:` and
 * `uuid:` removed, braces stripped at the ends, hyphens dropped, then exactly 32 hex digits;
 * the canonical lower-case 8-4-4-4-12 form comes back (one user, one id, whatever the
 * issuer's spelling), undefined when Python would refuse it.
 */
export function canonicalUuid(sub: string): string | undefined {
  const hex = sub
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The id the stores know a user by: a UUID `sub` in its canonical form (as a refresh token's
 * `sub` is read), any other `sub` in lower case.
 */
export function storedUserId(sub: string): string {
  return canonicalUuid(sub) ?? sub.toLowerCase();
}
