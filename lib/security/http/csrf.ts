/**
 * CSRF defence for cookie-borne tokens. A browser attaches cookies to cross-site requests,
 * so when the access token came from a cookie and the method changes state, the request must
 * also prove it comes from one of our origins: an `Origin` (or, failing that, `Referer`) in
 * the allowed list, or a double-submit header equal to the CSRF cookie (OWASP CSRF cheat
 * sheet). Bearer headers are never sent automatically, so header tokens skip this check.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../../core/errors';
import { readCookie } from '../../core/extract-token';
import type { HeadersLike } from '../../core/extract-token';

export interface CsrfOptions {
  /**
   * Origins allowed to send state-changing requests with the cookie, e.g.
   * `['https://app.example.com']` (the Python `ALLOWED_ORIGINS`: BACKEND_CORS_ORIGINS +
   * FRONTEND_HOST). Default: none (only the double-submit header passes).
   */
  allowedOrigins?: readonly string[] | undefined;
  /** Request header carrying the double-submit token. Default `x-csrf-token`. */
  headerName?: string | undefined;
  /** Cookie holding the double-submit token (set by `setAuthCookies(…, { csrf: true })`). Default `csrf_token`. */
  cookieName?: string | undefined;
}

/**
 * `csrf` with `allowedOrigins` defaulting to `origins` (the settings' `ALLOWED_ORIGINS`): the
 * one rule of the request pipeline, the cookie-mode flows and the Nest module.
 */
export function withDefaultOrigins(
  csrf: CsrfOptions | undefined,
  origins: readonly string[] | undefined,
): CsrfOptions {
  return { ...csrf, allowedOrigins: csrf?.allowedOrigins ?? origins ?? [] };
}

export const DEFAULT_CSRF_COOKIE = 'csrf_token';
export const DEFAULT_CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** 403: the cookie-authenticated request could not prove it is same-origin. */
export class CsrfError extends AuthError {
  constructor(message = 'CSRF check failed') {
    super('invalid_request', message, { status: 403 });
  }
}

export interface CsrfCheck {
  (request: {
    method?: string;
    headers: HeadersLike;
    cookies?: Record<string, unknown> | null;
  }): void;
}

/** Build the check once; it throws `CsrfError` for a cross-site unsafe request. */
export function createCsrfCheck(options: CsrfOptions = {}): CsrfCheck {
  const allowed = new Set((options.allowedOrigins ?? []).map(normalizeOrigin).filter(isString));
  const headerName = (options.headerName ?? DEFAULT_CSRF_HEADER).toLowerCase();
  const cookieName = options.cookieName ?? DEFAULT_CSRF_COOKIE;

  return (request) => {
    if (SAFE_METHODS.has((request.method ?? 'GET').toUpperCase())) return;
    const origin = requestOrigin(request.headers);
    if (origin !== undefined && allowed.has(origin)) return;
    const sent = single(request.headers[headerName]);
    const expected =
      request.cookies && typeof request.cookies[cookieName] === 'string'
        ? (request.cookies[cookieName] as string)
        : readCookie(request.headers.cookie, cookieName);
    if (sent && expected && sameSecret(sent, expected)) return;
    throw new CsrfError();
  };
}

/** A fresh double-submit token (32 random bytes, base64url). */
export function createCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

function requestOrigin(headers: HeadersLike): string | undefined {
  const origin = single(headers.origin);
  // "null" is what sandboxed frames and some redirects send: never trusted.
  if (origin !== undefined && origin !== 'null') return normalizeOrigin(origin);
  const referer = single(headers.referer);
  return referer === undefined ? undefined : normalizeOrigin(referer);
}

function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

// Hash both sides so timingSafeEqual gets equal lengths and leaks nothing about length.
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
