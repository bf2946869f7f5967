/**
 * Writes and clears the token cookies with plain `Set-Cookie` headers (no cookie library,
 * works on Express and Connect). Both cookies are HttpOnly, so page scripts can never read a
 * token; the refresh cookie is only sent to the refresh route.
 */
import type { ServerResponse } from 'node:http';
import { ConfigurationError } from '../core/errors';
import { DEFAULT_ACCESS_COOKIE } from '../core/extract-token';
import type { AuthSettings } from '../core/settings/types';
import type { TokenPair } from '../core/types';
import { DEFAULT_CSRF_COOKIE, createCsrfToken } from './csrf';

export type CookieSettings = Pick<
  AuthSettings,
  'ACCESS_TOKEN_EXPIRE_MINUTES' | 'REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS' | 'SESSION_COOKIE_SECURE'
>;

export interface AuthCookieOptions {
  /** Access-token cookie name. Default `access_token`. */
  accessCookieName?: string;
  /** Refresh-token cookie name. Default `refresh_token`. */
  refreshCookieName?: string;
  /** Path the refresh cookie is sent to (the refresh route). Default `/auth/refresh`. */
  refreshPath?: string;
  /** Default `Lax`. `None` requires SESSION_COOKIE_SECURE=true. */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** Cookie `Domain`. Default: none (host-only cookies). */
  domain?: string;
  /** Also set a readable double-submit CSRF cookie (`csrf_token`). Default false. */
  csrf?: boolean;
}

export const DEFAULT_REFRESH_COOKIE = 'refresh_token';
export const DEFAULT_REFRESH_PATH = '/auth/refresh';

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Set the access and refresh cookies of `pair`. Max-Age: ACCESS_TOKEN_EXPIRE_MINUTES × 60 and
 * REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS; `Secure` from SESSION_COOKIE_SECURE. With `csrf: true`
 * it also sets the double-submit cookie and returns its value (send it back in `x-csrf-token`).
 */
export function setAuthCookies(
  res: ServerResponse,
  pair: Pick<TokenPair, 'access_token' | 'refresh_token'>,
  settings: CookieSettings,
  options: AuthCookieOptions = {},
): { csrfToken?: string } {
  const base = baseAttributes(settings, options);
  appendCookie(
    res,
    serialize(options.accessCookieName ?? DEFAULT_ACCESS_COOKIE, pair.access_token, {
      ...base,
      path: '/',
      maxAge: settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    }),
  );
  appendCookie(
    res,
    serialize(options.refreshCookieName ?? DEFAULT_REFRESH_COOKIE, pair.refresh_token, {
      ...base,
      path: options.refreshPath ?? DEFAULT_REFRESH_PATH,
      maxAge: settings.REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS,
    }),
  );
  if (!options.csrf) return {};
  const csrfToken = createCsrfToken();
  appendCookie(
    res,
    serialize(DEFAULT_CSRF_COOKIE, csrfToken, {
      ...base,
      httpOnly: false, // the page must read it to echo it in the header
      path: '/',
      maxAge: settings.REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS,
    }),
  );
  return { csrfToken };
}

/** Expire the cookies `setAuthCookies` set (same names, paths and domain). */
export function clearAuthCookies(
  res: ServerResponse,
  settings?: Pick<AuthSettings, 'SESSION_COOKIE_SECURE'>,
  options: AuthCookieOptions = {},
): void {
  const base = baseAttributes(
    {
      SESSION_COOKIE_SECURE: settings?.SESSION_COOKIE_SECURE ?? false,
      ACCESS_TOKEN_EXPIRE_MINUTES: 0,
      REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 0,
    },
    options,
  );
  const expired = { ...base, maxAge: 0, expires: new Date(0) };
  appendCookie(
    res,
    serialize(options.accessCookieName ?? DEFAULT_ACCESS_COOKIE, '', { ...expired, path: '/' }),
  );
  appendCookie(
    res,
    serialize(options.refreshCookieName ?? DEFAULT_REFRESH_COOKIE, '', {
      ...expired,
      path: options.refreshPath ?? DEFAULT_REFRESH_PATH,
    }),
  );
  if (options.csrf) {
    appendCookie(
      res,
      serialize(DEFAULT_CSRF_COOKIE, '', { ...expired, httpOnly: false, path: '/' }),
    );
  }
}

interface CookieAttributes {
  path: string;
  maxAge: number;
  expires?: Date;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
  domain?: string;
}

function baseAttributes(
  settings: CookieSettings,
  options: AuthCookieOptions,
): Omit<CookieAttributes, 'path' | 'maxAge'> {
  const sameSite = options.sameSite ?? 'Lax';
  const secure = settings.SESSION_COOKIE_SECURE;
  if (sameSite === 'None' && !secure) {
    // Browsers drop SameSite=None cookies that are not Secure.
    throw new ConfigurationError('sameSite "None" requires SESSION_COOKIE_SECURE=true.');
  }
  return { httpOnly: true, secure, sameSite, domain: options.domain };
}

function serialize(name: string, value: string, attrs: CookieAttributes): string {
  if (!COOKIE_NAME.test(name)) throw new ConfigurationError(`Invalid cookie name "${name}".`);
  let cookie = `${name}=${encodeURIComponent(value)}; Path=${attrs.path}; Max-Age=${Math.max(0, Math.floor(attrs.maxAge))}`;
  if (attrs.expires) cookie += `; Expires=${attrs.expires.toUTCString()}`;
  if (attrs.domain) cookie += `; Domain=${attrs.domain}`;
  if (attrs.httpOnly) cookie += '; HttpOnly';
  if (attrs.secure) cookie += '; Secure';
  cookie += `; SameSite=${attrs.sameSite}`;
  return cookie;
}

function appendCookie(res: ServerResponse, cookie: string): void {
  const current = res.getHeader('Set-Cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}
