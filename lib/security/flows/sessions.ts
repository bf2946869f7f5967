/** Sessions: one per login and device, opened at login, listed and ended by their user. */
import { InvalidTokenError, Messages, NotFoundError } from '../../core/errors';
import { hashToken } from '../../core/crypto-utils';
import type { Authenticated } from '../http/request-authenticator';
import type { SessionRecord } from '../store-contracts';
import { storedUserId } from '../user-id';
import { jsonAnswer } from './answer';
import type { AuthUser, FlowContext, FlowRequest, FlowResponse } from './context';
import { headerOf } from './request';
import { endTokensOf, type IssuedPair } from './tokens';

/** The caller of an authenticated flow route (a missing token is the 401 of any protected route). */
export async function authenticated(
  ctx: FlowContext,
  request: FlowRequest,
): Promise<Authenticated> {
  const found = await ctx.authenticate(request);
  if (found === undefined) {
    throw new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm: ctx.realm });
  }
  return found;
}

/**
 * Opens the session of a new pair (a login, or a Python token's first refresh); resolves its
 * id, or undefined when no session store is configured or `fail_open` went on without it.
 */
export async function openSession(
  ctx: FlowContext,
  user: AuthUser,
  pair: IssuedPair,
  request: FlowRequest,
  at: number,
): Promise<string | undefined> {
  const session: SessionRecord = {
    // The session is its refresh family: the `sid` of its access tokens is its id.
    id: pair.refresh.familyId,
    userId: storedUserId(user.sub),
    provider: user.provider ?? 'password',
    familyId: pair.refresh.familyId,
    accessJti: pair.access.jti,
    accessExpiresAt: pair.access.expiresAt,
    refreshTokenHash: hashToken(pair.refresh.token),
    refreshExpiresAt: pair.refresh.expiresAt,
    createdAt: at,
    lastUsedAt: at,
    userAgent: headerOf(request, 'user-agent'),
    ip: request.ip,
  };
  const opened = await ctx.sessions?.attempt(async (store) => {
    await store.create(session);
    return true;
  });
  return opened ? session.id : undefined;
}

/** `GET /auth/sessions`: the caller's sessions, never a token or a hash. */
export async function listSessions(ctx: FlowContext, request: FlowRequest): Promise<FlowResponse> {
  const { claims } = await authenticated(ctx, request);
  const sessions = ctx.sessions;
  if (sessions === undefined) return jsonAnswer([]);
  const list = await sessions.call((store) => store.list(storedUserId(claims.sub)));
  return jsonAnswer(
    list.map((s) => ({
      id: s.id,
      provider: s.provider,
      created_at: new Date(s.createdAt * 1000).toISOString(),
      last_used_at: new Date(s.lastUsedAt * 1000).toISOString(),
      user_agent: s.userAgent ?? null,
      ip: s.ip ?? null,
      expires_at: new Date(s.refreshExpiresAt * 1000).toISOString(),
      current: claims.sid === undefined ? s.accessJti === claims.jti : s.familyId === claims.sid,
    })),
  );
}

/** `DELETE /auth/sessions/:id`: ends one of the caller's sessions and its tokens. */
export async function revokeSession(
  ctx: FlowContext,
  request: FlowRequest,
  sessionId: string,
): Promise<FlowResponse> {
  const { claims } = await authenticated(ctx, request);
  const sessions = ctx.sessions;
  if (sessions === undefined) throw new NotFoundError('Session not found');
  const session = await sessions.call((store) => store.revoke(storedUserId(claims.sub), sessionId));
  // Another user's session id is a 404 too: its existence is not the caller's business.
  if (session === undefined) throw new NotFoundError('Session not found');
  await endTokensOf(ctx, session);
  return jsonAnswer({ success: true, msg: 'Session revoked' });
}
