/**
 * Bearer-token extraction over request-shaped data (RFC 6750 §2), framework-free: adapters
 * pass `req.headers` (and `req.cookies` when a cookie parser ran) and get the token back, or a
 * typed error for a malformed request.
 */
import { DEFAULT_REALM, InvalidRequestError, InvalidTokenError, Messages } from './errors';

/** Node's `IncomingHttpHeaders` and every framework's header bag fit this. */
export type HeadersLike = Record<string, string | string[] | undefined>;

/** What extraction reads: the headers and, if a cookie parser ran, the parsed cookies. */
export interface TokenCarrier {
  headers: HeadersLike;
  cookies?: Record<string, unknown> | null;
}

export interface ExtractTokenOptions {
  /** Cookie holding the access token. Default `access_token`. */
  cookieName?: string;
  /** Accept `Authorization: Bearer <token>`. Default true. */
  allowHeader?: boolean;
  /** Accept the token from the cookie `cookieName`. Default false. */
  allowCookie?: boolean;
  /** Realm of the challenge on the errors raised here. Default `api`. */
  realm?: string;
}

export type TokenSource = 'header' | 'cookie';

export interface ExtractedToken {
  token: string;
  source: TokenSource;
}

export const DEFAULT_ACCESS_COOKIE = 'access_token';

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// Checked as "no other character" and "'=' only at the end": one scan of the token on the
// request path (the anchored pattern with its backtracking tail costs about twice as much).
const NOT_B64TOKEN_CHAR = /[^A-Za-z0-9\-._~+/=]/;
const PADDING = /^=+$/;
// The scheme is case-insensitive (RFC 7235 §2.1); one or more spaces separate it.
const BEARER = /^Bearer(?: +|$)/i;

/**
 * Find the access token of a request.
 *
 * - Resolves to `undefined` when no token was presented (no `Authorization: Bearer`, no
 *   cookie): the caller answers 401 with a bare challenge, or lets an optional route pass.
 * - Throws `InvalidTokenError` (401 `invalid_token`, reason `invalid`) when the credentials
 *   are malformed — `Bearer` with no token, several space-separated values, characters
 *   outside the b64token alphabet (RFC 6750 §3.1: "expired, revoked, malformed …") — without
 *   looking at the value further.
 * - Throws `InvalidRequestError` (400 `invalid_request`) when the request itself is malformed:
 *   the token sent two ways at once, or two Authorization headers (RFC 6750 §2, §3.1).
 *
 * A header with another scheme (`Basic …`) is not a bearer token and counts as absent.
 */
export function extractToken(
  carrier: TokenCarrier,
  options: ExtractTokenOptions = {},
): ExtractedToken | undefined {
  const realm = options.realm ?? DEFAULT_REALM;
  const allowHeader = options.allowHeader ?? true;
  const allowCookie = options.allowCookie ?? false;

  const fromHeader = allowHeader ? tokenFromAuthorization(carrier.headers, realm) : undefined;
  const fromCookie = allowCookie
    ? tokenFromCookie(carrier, options.cookieName ?? DEFAULT_ACCESS_COOKIE)
    : undefined;

  if (fromHeader !== undefined && fromCookie !== undefined) {
    throw new InvalidRequestError('More than one method used for authentication', realm);
  }
  if (fromHeader !== undefined) {
    if (!fromHeader.wellFormed) throw malformedChars(realm);
    return { token: fromHeader.token, source: 'header' };
  }
  if (fromCookie === undefined) return undefined;
  if (!isB64Token(fromCookie)) throw malformedChars(realm);
  return { token: fromCookie, source: 'cookie' };
}

function isB64Token(value: string): boolean {
  if (value === '' || NOT_B64TOKEN_CHAR.test(value)) return false;
  const padding = value.indexOf('=');
  return padding < 0 || (padding > 0 && PADDING.test(value.slice(padding)));
}

function malformedChars(realm: string): InvalidTokenError {
  return new InvalidTokenError(Messages.ACCESS_INVALID, 'invalid', 'access', {
    realm,
    detail: 'malformed:token_chars',
  });
}

/** The Bearer credentials, and whether they are a b64token (refused after the two-ways check). */
function tokenFromAuthorization(
  headers: HeadersLike,
  realm: string,
): { token: string; wellFormed: boolean } | undefined {
  const raw = headers.authorization;
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return undefined;
    if (raw.length > 1) {
      throw new InvalidRequestError('More than one Authorization header', realm);
    }
  }
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  const scheme = BEARER.exec(value);
  if (!scheme) return undefined;
  const rest = value.slice(scheme[0].length);
  // A well-formed token has no whitespace: the whitespace scan is for refused ones only.
  const wellFormed = isB64Token(rest);
  if (rest === '' || (!wellFormed && /\s/.test(rest))) {
    throw new InvalidTokenError(Messages.ACCESS_INVALID, 'invalid', 'access', {
      realm,
      detail: rest === '' ? 'malformed:empty' : 'malformed:whitespace',
    });
  }
  return { token: rest, wellFormed };
}

function tokenFromCookie(carrier: TokenCarrier, name: string): string | undefined {
  if (carrier.cookies && typeof carrier.cookies === 'object') {
    const value = carrier.cookies[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
  return readCookie(carrier.headers.cookie, name);
}

/**
 * Read one cookie from a raw `Cookie` header (RFC 6265 §5.4), for apps without a cookie
 * parser. An undecodable value is returned as sent, so validation rejects it as a 401.
 */
export function readCookie(
  header: string | string[] | undefined,
  name: string,
): string | undefined {
  if (header === undefined) return undefined;
  const joined = Array.isArray(header) ? header.join('; ') : header;
  for (const pair of joined.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (value === '') return undefined;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
