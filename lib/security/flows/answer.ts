/** The flows' answers: a token pair (in the body, or in cookies in cookie mode) or plain JSON. */
import type { TokenPair } from '../../core/types';
import { authCookies, expiredAuthCookies } from '../http/cookies';
import type { FlowContext, FlowResponse } from './context';

export interface AnsweredPair {
  access: string;
  refresh: string;
  /** The refresh token's `exp` (epoch seconds): its cookie lives exactly as long. */
  refreshExpiresAt: number;
  sessionId?: string | undefined;
}

/** 200 with a new pair: tokens in the body, or the refresh token (and maybe the access token) as cookies. */
export function pairAnswer(ctx: FlowContext, pair: AnsweredPair): FlowResponse {
  const tokens: TokenPair & { session_id?: string } = {
    access_token: pair.access,
    refresh_token: pair.refresh,
    token_type: 'bearer',
    expires_in: ctx.issuer.accessTtlSeconds,
  };
  if (pair.sessionId !== undefined) tokens.session_id = pair.sessionId;
  const cookies = ctx.cookies;
  if (cookies === undefined) return { status: 200, body: tokens, setCookie: [] };
  const inCookies =
    cookies.accessCookie === undefined
      ? { refresh_token: pair.refresh }
      : { access_token: pair.access, refresh_token: pair.refresh };
  const { setCookie, csrfToken } = authCookies(inCookies, cookies.settings, {
    ...cookies.attributes,
    refreshMaxAgeSeconds: Math.max(0, pair.refreshExpiresAt - ctx.now()),
  });
  const visible: Record<string, unknown> = { ...tokens };
  delete visible.refresh_token; // never readable by page scripts
  if (cookies.accessCookie !== undefined) delete visible.access_token;
  if (csrfToken !== undefined) visible.csrf_token = csrfToken;
  return { status: 200, body: visible, setCookie };
}

/** 200 with `body`; in cookie mode the auth cookies are expired with it (a logout). */
export function loggedOutAnswer(ctx: FlowContext, body: Record<string, unknown>): FlowResponse {
  const cookies = ctx.cookies;
  const setCookie =
    cookies === undefined ? [] : expiredAuthCookies(cookies.settings, cookies.attributes);
  return { status: 200, body: { success: true, ...body }, setCookie };
}

/** 200 with `body`, no cookies. */
export function jsonAnswer(body: unknown): FlowResponse {
  return { status: 200, body, setCookie: [] };
}
