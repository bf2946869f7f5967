/**
 * The auth flows (login, refresh, logout, logout everywhere, sessions), framework-free: each
 * takes a request-like object and resolves the answer (`status`, JSON `body`, `Set-Cookie`
 * values) or rejects with a typed `AuthError` the adapter maps with `toErrorResponse`. The
 * Express adapter (`authRoutes`, `refreshHandler`, …) and the Koa bridge only translate.
 */
import { createHash, randomUUID } from 'node:crypto';
import Joi from 'joi';
import {
  ConfigurationError,
  InvalidRequestError,
  InvalidTokenError,
  Messages,
  NotFoundError,
  StoreUnavailableError,
} from '../../core/errors';
import { readCookie } from '../../core/extract-token';
import type { FailureMode } from '../../core/failure-mode';
import { hashToken } from '../../core/crypto-utils';
import type { Logger, RefreshTokenData, TokenPair } from '../../core/types';
import type { CircuitBreaker } from '../circuit-breaker';
import { callHook } from '../hooks';
import {
  authCookies,
  expiredAuthCookies,
  DEFAULT_REFRESH_COOKIE,
  type AuthCookieOptions,
  type CookieSettings,
} from '../http/cookies';
import { createCsrfCheck, type CsrfCheck, type CsrfOptions } from '../http/csrf';
import {
  createRequestAuthenticator,
  type AuthRequest,
  type Authenticated,
  type RequestAuthenticator,
} from '../http/request-authenticator';
import {
  storedUserId,
  type RefreshTokenPolicy,
  type RefreshRotation,
} from '../refresh-token-policy';
import { policyStoreGuard, type StoreGuard } from '../store-guard';
import type { SessionAdvance, SessionRecord, SessionStore } from '../store-contracts';
import type {
  AccessTokenSubject,
  IssuedRefreshToken,
  IssuedToken,
  TokenIssuer,
} from '../token-issuer';
import type { TokenPolicy } from '../token-policy';
import type { ValidationHooks } from '../types';
import type { RefreshRateLimiter } from './rate-limiter';

/** A user as the flows need it: the access-token claims, plus whether the account is active. */
export type AuthUser = AccessTokenSubject & { provider?: string | undefined };

/** What the flows read of a request (Express's `req`, Koa's `ctx.request` plus `ctx.ip` fit). */
export interface FlowRequest extends AuthRequest {
  /** The parsed JSON body. */
  body?: unknown;
  /** The client address (for the per-IP limit and the session record). */
  ip?: string | undefined;
}

/** What a flow answers: the adapter writes status, `Set-Cookie` values and the JSON body. */
export interface FlowResponse {
  status: number;
  body: unknown;
  setCookie: string[];
}

export interface AuthCookieMode extends AuthCookieOptions {
  /** ACCESS_TOKEN_EXPIRE_MINUTES, REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS, SESSION_COOKIE_SECURE. */
  settings: CookieSettings;
  /** Also send the access token as an HttpOnly cookie (and accept it from there). Default false: in the body. */
  accessInCookie?: boolean | undefined;
  /**
   * CSRF check of cookie-authenticated unsafe requests: on by default (an allowed `Origin`, or
   * the double-submit header when `csrf: true` sets its cookie); `false` relies on SameSite only.
   */
  csrfCheck?: false | CsrfOptions | undefined;
}

export interface AuthFlowsOptions {
  issuer: TokenIssuer;
  refreshPolicy: RefreshTokenPolicy;
  /** Validates access tokens (with revocation) and revokes them at logout. */
  policy: TokenPolicy;
  /** The user behind a refresh (`sub`); null/undefined or `is_active: false` refuses the refresh. */
  findUser(userId: string): Promise<AuthUser | null | undefined> | AuthUser | null | undefined;
  /** Enables login: the user for these credentials, or null. */
  verifyCredentials?:
    ((email: string, password: string) => Promise<AuthUser | null | undefined>) | undefined;
  /** Sessions (one per login and device): listed, revoked one by one or all at once. */
  sessions?: SessionStore | undefined;
  /** Env `SESSION_WRITE_FAILURE_MODE` (default `fail_closed`) for session writes. */
  sessionFailureMode?: FailureMode | undefined;
  /** Refresh token (and optionally the access token) in HttpOnly cookies. */
  cookies?: AuthCookieMode | false | undefined;
  rateLimit?: RefreshRateLimiter | false | undefined;
  /** onLogin, onLogout, onRateLimited (`metricsHooks(metrics)` counts them). */
  hooks?: ValidationHooks | undefined;
  /** Realm of the challenges. Default `api`. */
  realm?: string | undefined;
  timeoutMs?: number | undefined;
  breaker?: CircuitBreaker | false | undefined;
  logger?: Logger | undefined;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
}

export interface AuthFlows {
  login(request: FlowRequest): Promise<FlowResponse>;
  refresh(request: FlowRequest): Promise<FlowResponse>;
  logout(request: FlowRequest): Promise<FlowResponse>;
  logoutAll(request: FlowRequest): Promise<FlowResponse>;
  listSessions(request: FlowRequest): Promise<FlowResponse>;
  revokeSession(request: FlowRequest, sessionId: string): Promise<FlowResponse>;
  /** The access-token pipeline the flows authenticate with (for the adapter's own routes). */
  readonly authenticate: RequestAuthenticator;
}

const loginSchema = Joi.object({
  email: Joi.string().email({ tlds: false }).max(254).required(),
  password: Joi.string().min(1).max(1024).required(),
}).unknown(true);
const refreshBodySchema = Joi.object({ refresh_token: Joi.string().max(8192) }).unknown(true);

/** An access token and its refresh token, signed together. */
interface IssuedPair {
  access: IssuedToken;
  refresh: IssuedRefreshToken;
}

const WRONG_CREDENTIALS = 'Incorrect email or password';
const INACTIVE_USER = 'Unknown or inactive user';

/**
 * The access-token jti that goes with a refresh-token jti: derived, so the pair a replay
 * inside the grace re-issues carries the same access jti as the first answer (revoking the
 * session then blacklists every copy).
 */
export function accessJtiFor(refreshJti: string): string {
  const h = createHash('sha256').update(`access:${refreshJti}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Build the flows once (validation of options, guards, the pipeline), never per request. */
export function createAuthFlows(options: AuthFlowsOptions): AuthFlows {
  const { issuer, refreshPolicy, policy, sessions, hooks } = options;
  if (!issuer || !refreshPolicy || !policy || typeof options.findUser !== 'function') {
    throw new ConfigurationError(
      'createAuthFlows needs issuer, refreshPolicy, policy and findUser(userId).',
    );
  }
  const logger = options.logger ?? console;
  const clock = options.clock ?? Date.now;
  const cookies = options.cookies || undefined;
  const realm = options.realm;
  const accessCookie = cookies?.accessInCookie
    ? (cookies.accessCookieName ?? 'access_token')
    : undefined;
  const refreshCookie = cookies ? (cookies.refreshCookieName ?? DEFAULT_REFRESH_COOKIE) : undefined;
  const authenticate = createRequestAuthenticator({
    policy,
    realm,
    cookie: accessCookie === undefined ? false : { name: accessCookie },
    csrf: cookies?.csrfCheck,
  });
  const refreshCsrf: CsrfCheck | undefined =
    cookies && cookies.csrfCheck !== false ? createCsrfCheck(cookies.csrfCheck ?? {}) : undefined;
  const sessionGuard: StoreGuard | undefined =
    sessions === undefined
      ? undefined
      : policyStoreGuard('session_write', sessions, {
          failureMode: options.sessionFailureMode ?? 'fail_closed',
          timeoutMs: options.timeoutMs,
          breaker: options.breaker,
          hooks,
          logger,
        });
  const limiter = options.rateLimit || undefined;
  const cookieOptions = {
    ...cookies,
    sameSite: cookies?.sameSite ?? 'Strict',
  } as AuthCookieOptions;
  const now = (): number => Math.floor(clock() / 1000);

  /** A session write under SESSION_WRITE_FAILURE_MODE: fail_open goes on without it. */
  async function sessionWrite<T>(
    write: (store: SessionStore) => Promise<T>,
  ): Promise<T | undefined> {
    if (sessions === undefined || sessionGuard === undefined) return undefined;
    try {
      return await sessionGuard.run(() => write(sessions));
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      sessionGuard.degrade(error); // throws under fail_closed
      return undefined;
    }
  }

  /** Ends a session's tokens: its refresh family, and its access jti for that token's life. */
  async function endTokensOf(session: SessionRecord): Promise<void> {
    await refreshPolicy.revokeFamily(session.familyId, session.userId);
    await policy.revoke(session.accessJti, session.accessExpiresAt);
  }

  function answer(
    status: number,
    pair: { access: string; refresh: string; sessionId?: string | undefined } | undefined,
    body: Record<string, unknown>,
  ): FlowResponse {
    if (pair === undefined) return { status, body, setCookie: [] };
    const tokens: TokenPair & { session_id?: string } = {
      access_token: pair.access,
      refresh_token: pair.refresh,
      token_type: 'bearer',
      expires_in: issuer.accessTtlSeconds,
    };
    if (pair.sessionId !== undefined) tokens.session_id = pair.sessionId;
    if (!cookies) return { status, body: { ...tokens, ...body }, setCookie: [] };
    const { setCookie, csrfToken } = authCookies(
      accessCookie === undefined
        ? { refresh_token: pair.refresh }
        : { access_token: pair.access, refresh_token: pair.refresh },
      cookies.settings,
      cookieOptions,
    );
    const visible: Record<string, unknown> = { ...tokens, ...body };
    delete visible.refresh_token; // never readable by page scripts
    if (accessCookie !== undefined) delete visible.access_token;
    if (csrfToken !== undefined) visible.csrf_token = csrfToken;
    return { status, body: visible, setCookie };
  }

  function issuePair(
    user: AuthUser,
    refresh: { jti: string; familyId?: string | undefined; issuedAt: number },
  ): IssuedPair {
    const userId = user.sub;
    const refreshToken = issuer.issueRefreshToken({
      userId,
      familyId: refresh.familyId,
      jti: refresh.jti,
      issuedAt: refresh.issuedAt,
    });
    const access = issuer.issueAccessToken(claimsOf(user), {
      jti: accessJtiFor(refreshToken.jti),
      issuedAt: refresh.issuedAt,
    });
    return { access, refresh: refreshToken };
  }

  async function login(request: FlowRequest): Promise<FlowResponse> {
    const verify = options.verifyCredentials;
    if (verify === undefined) throw new NotFoundError('Not Found.');
    const { email, password } = Joi.attempt(request.body ?? {}, loginSchema) as {
      email: string;
      password: string;
    };
    const user = await verify(email, password);
    if (!user || user.is_active === false) {
      callHook(hooks, 'onLogin', { result: user ? 'inactive_user' : 'wrong_credentials' }, logger);
      throw new InvalidRequestError(WRONG_CREDENTIALS, realm);
    }
    const issuedAt = now();
    const { access, refresh } = issuePair(user, { jti: randomUUID(), issuedAt });
    await refreshPolicy.register(refresh.jti, {
      userId: storedUserId(user.sub),
      familyId: refresh.familyId,
      ttlSeconds: issuer.refreshTtlSeconds,
    });
    const sessionId = await createSession(user, { access, refresh }, request, issuedAt);
    callHook(hooks, 'onLogin', { result: 'success' }, logger);
    return answer(200, { access: access.token, refresh: refresh.token, sessionId }, {});
  }

  /** A new session for this pair (a login); resolves its id, or undefined when none was kept. */
  async function createSession(
    user: AuthUser,
    pair: IssuedPair,
    request: FlowRequest,
    at: number,
  ): Promise<string | undefined> {
    const session: SessionRecord = {
      id: randomUUID(),
      userId: storedUserId(user.sub),
      provider: user.provider ?? 'password',
      familyId: pair.refresh.familyId,
      accessJti: pair.access.jti,
      accessExpiresAt: pair.access.expiresAt,
      refreshTokenHash: hashToken(pair.refresh.token),
      refreshExpiresAt: pair.refresh.expiresAt,
      createdAt: at,
      lastUsedAt: at,
      userAgent: single(request.headers['user-agent']),
      ip: request.ip,
    };
    const created = await sessionWrite(async (store) => {
      await store.create(session);
      return true;
    });
    return created ? session.id : undefined;
  }

  function refreshTokenOf(request: FlowRequest): string {
    const { refresh_token: fromBody } = Joi.attempt(request.body ?? {}, refreshBodySchema) as {
      refresh_token?: string;
    };
    const fromCookie =
      refreshCookie === undefined
        ? undefined
        : typeof request.cookies?.[refreshCookie] === 'string'
          ? (request.cookies[refreshCookie] as string)
          : readCookie(request.headers.cookie, refreshCookie);
    if (fromBody !== undefined && fromCookie !== undefined && fromBody !== fromCookie) {
      throw new InvalidRequestError('More than one refresh token sent', realm);
    }
    const token = fromBody ?? fromCookie;
    if (token === undefined || token === '') {
      throw new InvalidTokenError(Messages.REFRESH_MISSING, 'missing', 'refresh', { realm });
    }
    if (fromBody === undefined) refreshCsrf?.(request); // cookie-borne: prove same origin
    return token;
  }

  /** The user behind a refresh, or the 400 (the presented token is revoked with it). */
  async function activeUser(presented: RefreshTokenData): Promise<AuthUser> {
    const user = await options.findUser(presented.userId);
    if (user && user.is_active !== false) return user;
    // Refused: the token must not stay usable (presented again, it counts as reuse).
    await refreshPolicy.revoke(presented.jti, presented.userId);
    throw new InvalidRequestError(INACTIVE_USER, realm);
  }

  function sessionAdvanceOf(pair: IssuedPair, lastUsedAt: number): SessionAdvance {
    return {
      accessJti: pair.access.jti,
      accessExpiresAt: pair.access.expiresAt,
      refreshTokenHash: hashToken(pair.refresh.token),
      refreshExpiresAt: pair.refresh.expiresAt,
      lastUsedAt,
    };
  }

  /**
   * The one correct rotation. The token is verified once; before the store is asked, the
   * family limit applies, the user is looked up and the new pair is signed with the planned
   * jti, family and time, so a store that keeps sessions with its tokens advances the session
   * in the rotation's own atomic step (one round trip on Redis).
   */
  async function refresh(request: FlowRequest): Promise<FlowResponse> {
    await limiter?.checkIp(request.ip);
    const token = refreshTokenOf(request);
    let planned:
      { user: AuthUser; pair: IssuedPair; issuedAt: number; advance?: SessionAdvance } | undefined;
    const rotated: RefreshRotation = await refreshPolicy.validateAndRotate(token, {
      newJti: randomUUID(),
      ttlSeconds: issuer.refreshTtlSeconds,
      beforeRotate: async (presented, next) => {
        await limiter?.checkFamily(presented.familyId ?? presented.jti);
        const user = await activeUser(presented);
        const pair = issuePair(
          { ...user, sub: presented.userId },
          { jti: next.jti, familyId: presented.familyId, issuedAt: next.issuedAt },
        );
        planned = { user, pair, issuedAt: next.issuedAt };
        // Without sessions there is nothing to advance (and no hash of the token to take).
        if (sessions !== undefined) planned.advance = sessionAdvanceOf(pair, next.issuedAt);
        return planned.advance;
      },
      onReuse: async ({ userId, familyId }) => {
        const ended = await sessionWrite((store) => store.revokeByFamily(userId, familyId));
        if (ended) await policy.revoke(ended.accessJti, ended.accessExpiresAt);
      },
    });
    if (planned === undefined) throw new Error('auth-sdk-m8: the refresh was not planned');
    let { pair, advance } = planned;
    if (
      rotated.newJti !== pair.refresh.jti ||
      rotated.familyId !== pair.refresh.familyId ||
      rotated.issuedAt !== planned.issuedAt
    ) {
      // A replay inside the grace (the successor already issued) or a family the token did
      // not name: sign what the store decided.
      pair = issuePair(
        { ...planned.user, sub: rotated.userId },
        { jti: rotated.newJti, familyId: rotated.familyId, issuedAt: rotated.issuedAt },
      );
      advance = undefined; // planned for the pair just replaced
    }
    let sessionId: string | undefined;
    if (rotated.adopted === true && sessions !== undefined) {
      // A token the Python service issued: its first refresh here is its first session.
      sessionId = await createSession(
        { ...planned.user, sub: rotated.userId },
        pair,
        request,
        rotated.issuedAt,
      );
    } else if (rotated.session !== undefined) {
      sessionId = rotated.session?.id; // advanced with the rotation itself
    } else if (sessions !== undefined && !rotated.replayed && !rotated.degraded) {
      const familyId = pair.refresh.familyId;
      const update = advance ?? sessionAdvanceOf(pair, rotated.issuedAt);
      sessionId = (await sessionWrite((store) => store.advance(rotated.userId, familyId, update)))
        ?.id;
    } else if (sessions !== undefined && rotated.replayed) {
      const familyId = pair.refresh.familyId;
      sessionId = (await sessionWrite((store) => store.getByFamily(rotated.userId, familyId)))?.id;
    }
    return answer(200, { access: pair.access.token, refresh: pair.refresh.token, sessionId }, {});
  }

  async function authenticated(request: FlowRequest): Promise<Authenticated> {
    const found = await authenticate(request);
    if (found === undefined) {
      throw new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm });
    }
    return found;
  }

  async function logout(request: FlowRequest): Promise<FlowResponse> {
    const { claims } = await authenticated(request);
    const userId = storedUserId(claims.sub);
    await policy.revoke(claims);
    let ended = 0;
    let refreshToken: string | undefined;
    try {
      refreshToken = refreshTokenOf(request);
    } catch {
      refreshToken = undefined; // logout without a (valid) refresh token still ends the access token
    }
    // An invalid or expired refresh token is useless anyway: logout still succeeds.
    const refresh =
      refreshToken === undefined
        ? undefined
        : await refreshPolicy.verify(refreshToken).catch(() => undefined);
    if (refresh !== undefined && refresh.userId === userId) {
      await refreshPolicy.revoke(refresh.jti, refresh.userId);
      if (refresh.familyId !== undefined) {
        const session = await sessionWrite((store) =>
          store.revokeByFamily(userId, refresh.familyId!),
        );
        if (session) {
          await endTokensOf(session);
          ended += 1;
        }
      }
    } else if (sessions !== undefined) {
      // No refresh token: the session is the one this access token belongs to.
      const mine = await sessionWrite(async (store) =>
        (await store.list(userId)).find((s) => s.accessJti === claims.jti),
      );
      if (mine) {
        const session = await sessionWrite((store) => store.revoke(userId, mine.id));
        if (session) {
          await endTokensOf(session);
          ended += 1;
        }
      }
    }
    callHook(hooks, 'onLogout', { sessions: ended }, logger);
    const setCookie = cookies ? expiredAuthCookies(cookies.settings, cookieOptions) : [];
    return { status: 200, body: { success: true, msg: 'Logged out' }, setCookie };
  }

  async function logoutAll(request: FlowRequest): Promise<FlowResponse> {
    const { claims } = await authenticated(request);
    const userId = storedUserId(claims.sub);
    await policy.revoke(claims);
    const ended = (await sessionWrite((store) => store.revokeAll(userId))) ?? [];
    for (const session of ended) await endTokensOf(session);
    await refreshPolicy.revokeUser(userId);
    callHook(hooks, 'onLogout', { sessions: ended.length }, logger);
    const setCookie = cookies ? expiredAuthCookies(cookies.settings, cookieOptions) : [];
    return {
      status: 200,
      body: { success: true, msg: 'Logged out everywhere', sessions_revoked: ended.length },
      setCookie,
    };
  }

  async function listSessions(request: FlowRequest): Promise<FlowResponse> {
    const { claims } = await authenticated(request);
    if (sessions === undefined || sessionGuard === undefined)
      return { status: 200, body: [], setCookie: [] };
    const list = await sessionGuard.run(() => sessions.list(storedUserId(claims.sub)));
    return {
      status: 200,
      body: list.map((s) => ({
        id: s.id,
        provider: s.provider,
        created_at: new Date(s.createdAt * 1000).toISOString(),
        last_used_at: new Date(s.lastUsedAt * 1000).toISOString(),
        user_agent: s.userAgent ?? null,
        ip: s.ip ?? null,
        current: s.accessJti === claims.jti,
      })),
      setCookie: [],
    };
  }

  async function revokeSession(request: FlowRequest, sessionId: string): Promise<FlowResponse> {
    const { claims } = await authenticated(request);
    if (sessions === undefined || sessionGuard === undefined)
      throw new NotFoundError('Session not found');
    const session = await sessionGuard.run(() =>
      sessions.revoke(storedUserId(claims.sub), sessionId),
    );
    // Another user's session id is a 404 too: its existence is not the caller's business.
    if (session === undefined) throw new NotFoundError('Session not found');
    await endTokensOf(session);
    return { status: 200, body: { success: true, msg: 'Session revoked' }, setCookie: [] };
  }

  return { login, refresh, logout, logoutAll, listSessions, revokeSession, authenticate };
}

function claimsOf(user: AuthUser): AccessTokenSubject {
  const {
    sub,
    email,
    role,
    full_name,
    avatar,
    is_active,
    email_verified,
    is_superuser,
    tenant_id,
  } = user;
  const claims: AccessTokenSubject = { sub, email };
  if (role !== undefined) claims.role = role;
  if (full_name !== undefined) claims.full_name = full_name;
  if (avatar !== undefined) claims.avatar = avatar;
  if (is_active !== undefined) claims.is_active = is_active;
  if (email_verified !== undefined) claims.email_verified = email_verified;
  if (is_superuser !== undefined) claims.is_superuser = is_superuser;
  if (tenant_id !== undefined) claims.tenant_id = tenant_id;
  return claims;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
