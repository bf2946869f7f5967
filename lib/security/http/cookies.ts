/**
 * The token cookies, framework-free: `authCookies()` / `expiredAuthCookies()` build the
 * `Set-Cookie` values (serialised by the `cookie` package, which validates every attribute,
 * not only the name), and `setAuthCookies()` / `clearAuthCookies()` append them to any Node
 * `ServerResponse` (Express 4/5, Connect, Koa's `ctx.res`). Both token cookies are HttpOnly,
 * so page scripts can never read a token; the refresh cookie is only sent to the refresh route.
 */
import type { ServerResponse } from 'node:http';
import { serialize, type CookieSerializeOptions } from 'cookie';
import { ConfigurationError } from '../../core/errors';
import { DEFAULT_ACCESS_COOKIE } from '../../core/extract-token';
import type { AuthSettings } from '../../core/settings/types';
import type { TokenPair } from '../../core/types';
import { DEFAULT_CSRF_COOKIE, createCsrfToken } from './csrf';

export type CookieSettings = Pick<
  AuthSettings,
  'ACCESS_TOKEN_EXPIRE_MINUTES' | 'REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS' | 'SESSION_COOKIE_SECURE'
>;

export interface AuthCookieOptions {
  /** Access-token cookie name. Default `access_token`. */
  accessCookieName?: string | undefined;
  /** Refresh-token cookie name. Default `refresh_token`. */
  refreshCookieName?: string | undefined;
  /** Path the refresh cookie is sent to (the refresh route). Default `/auth/refresh`. */
  refreshPath?: string | undefined;
  /** Default `Lax`. `None` requires SESSION_COOKIE_SECURE=true. */
  sameSite?: 'Strict' | 'Lax' | 'None' | undefined;
  /** Cookie `Domain`. Default: none (host-only cookies). */
  domain?: string | undefined;
  /** Also set a readable double-submit CSRF cookie (`csrf_token`). Default false. */
  csrf?: boolean | undefined;
  /**
   * Max-Age of the refresh cookie in seconds. Default REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS; the
   * auth flows set the refresh token's remaining life, so the cookie never outlives the token
   * nor dies before it.
   */
  refreshMaxAgeSeconds?: number | undefined;
}

export const DEFAULT_REFRESH_COOKIE = 'refresh_token';
export const DEFAULT_REFRESH_PATH = '/auth/refresh';

/** What `authCookies` builds: the `Set-Cookie` values and the CSRF token when one was made. */
export interface AuthCookies {
  setCookie: string[];
  csrfToken?: string;
}

/**
 * The `Set-Cookie` values for `pair`. Max-Age: ACCESS_TOKEN_EXPIRE_MINUTES × 60 and
 * REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS; `Secure` from SESSION_COOKIE_SECURE. With `csrf: true`
 * it also sets the double-submit cookie and returns its value (sent back in `x-csrf-token`).
 * Throws `ConfigurationError` for an invalid name, path or domain.
 */
export function authCookies(
  pair: Partial<Pick<TokenPair, 'access_token' | 'refresh_token'>>,
  settings: CookieSettings,
  options: AuthCookieOptions = {},
): AuthCookies {
  const base = baseAttributes(settings, options);
  const setCookie: string[] = [];
  if (pair.access_token !== undefined) {
    setCookie.push(
      cookie(options.accessCookieName ?? DEFAULT_ACCESS_COOKIE, pair.access_token, {
        ...base,
        path: '/',
        maxAge: settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
      }),
    );
  }
  if (pair.refresh_token !== undefined) {
    setCookie.push(
      cookie(options.refreshCookieName ?? DEFAULT_REFRESH_COOKIE, pair.refresh_token, {
        ...base,
        path: options.refreshPath ?? DEFAULT_REFRESH_PATH,
        maxAge: options.refreshMaxAgeSeconds ?? settings.REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS,
      }),
    );
  }
  if (!options.csrf) return { setCookie };
  const csrfToken = createCsrfToken();
  setCookie.push(
    cookie(DEFAULT_CSRF_COOKIE, csrfToken, {
      ...base,
      httpOnly: false, // the page must read it to echo it in the header
      path: '/',
      maxAge: settings.REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS,
    }),
  );
  return { setCookie, csrfToken };
}

/** The `Set-Cookie` values that expire what `authCookies` set (same names, paths and domain). */
export function expiredAuthCookies(
  settings?: Pick<AuthSettings, 'SESSION_COOKIE_SECURE'> | undefined,
  options: AuthCookieOptions = {},
): string[] {
  const base = baseAttributes(
    {
      SESSION_COOKIE_SECURE: settings?.SESSION_COOKIE_SECURE ?? false,
      ACCESS_TOKEN_EXPIRE_MINUTES: 0,
      REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 0,
    },
    options,
  );
  const expired = { ...base, maxAge: 0, expires: new Date(0) };
  const list = [
    cookie(options.accessCookieName ?? DEFAULT_ACCESS_COOKIE, '', { ...expired, path: '/' }),
    cookie(options.refreshCookieName ?? DEFAULT_REFRESH_COOKIE, '', {
      ...expired,
      path: options.refreshPath ?? DEFAULT_REFRESH_PATH,
    }),
  ];
  if (options.csrf) {
    list.push(cookie(DEFAULT_CSRF_COOKIE, '', { ...expired, httpOnly: false, path: '/' }));
  }
  return list;
}

/** Set the access and refresh cookies of `pair` on `res` (see `authCookies`). */
export function setAuthCookies(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  pair: Pick<TokenPair, 'access_token' | 'refresh_token'>,
  settings: CookieSettings,
  options: AuthCookieOptions = {},
): { csrfToken?: string } {
  const { setCookie, csrfToken } = authCookies(pair, settings, options);
  appendSetCookie(res, setCookie);
  return csrfToken === undefined ? {} : { csrfToken };
}

/** Expire the cookies `setAuthCookies` set (same names, paths and domain). */
export function clearAuthCookies(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  settings?: Pick<AuthSettings, 'SESSION_COOKIE_SECURE'> | undefined,
  options: AuthCookieOptions = {},
): void {
  appendSetCookie(res, expiredAuthCookies(settings, options));
}

/** Append `Set-Cookie` values to those already on `res`. */
export function appendSetCookie(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  cookies: readonly string[],
): void {
  if (cookies.length === 0) return;
  const current = res.getHeader('Set-Cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
  res.setHeader('Set-Cookie', [...list, ...cookies]);
}

type Attributes = CookieSerializeOptions & { path: string; maxAge: number };

function baseAttributes(
  settings: CookieSettings,
  options: AuthCookieOptions,
): Pick<CookieSerializeOptions, 'httpOnly' | 'secure' | 'sameSite' | 'domain'> {
  const sameSite = options.sameSite ?? 'Lax';
  const secure = settings.SESSION_COOKIE_SECURE;
  if (sameSite === 'None' && !secure) {
    // Browsers drop SameSite=None cookies that are not Secure.
    throw new ConfigurationError('sameSite "None" requires SESSION_COOKIE_SECURE=true.');
  }
  const attributes: Pick<CookieSerializeOptions, 'httpOnly' | 'secure' | 'sameSite' | 'domain'> = {
    httpOnly: true,
    secure,
    sameSite: sameSite === 'Strict' ? 'strict' : sameSite === 'Lax' ? 'lax' : 'none',
  };
  if (options.domain) attributes.domain = options.domain;
  return attributes;
}

function cookie(name: string, value: string, attributes: Attributes): string {
  try {
    return serialize(name, value, {
      ...attributes,
      maxAge: Math.max(0, Math.floor(attributes.maxAge)),
    });
  } catch (err) {
    // The cookie package names the attribute it refused ("argument name is invalid", …).
    throw new ConfigurationError(
      `Invalid cookie ${JSON.stringify(name)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
