/**
 * `POST /auth/logout` and `POST /auth/logout-all`: the caller's tokens and sessions end. The
 * caller's session is the one its access token names (`sid`), whichever of the session's
 * access tokens is presented; a refresh token of another session is refused and ends nothing.
 */
import { InvalidRequestError } from '../../core/errors';
import type { RefreshTokenData, TokenUserData } from '../../core/types';
import { callHook } from '../hooks';
import { storedUserId } from '../user-id';
import { loggedOutAnswer } from './answer';
import type { FlowContext, FlowRequest, FlowResponse } from './context';
import { refreshTokenOf } from './request';
import { authenticated } from './sessions';
import { blacklistAccessOf, endFamily, endTokensOf, stillValidSince } from './tokens';

const FOREIGN_REFRESH = 'The refresh token does not belong to this session';

export async function logout(ctx: FlowContext, request: FlowRequest): Promise<FlowResponse> {
  const { claims } = await authenticated(ctx, request);
  const userId = storedUserId(claims.sub);
  const refresh = await presentedRefresh(ctx, request);
  // Decided before anything ends: another device's token must not end that device's session.
  const familyId = sessionOf(ctx, claims, userId, refresh);
  await ctx.policy.revoke(claims);
  // A session's family ends whole below; a token of no family ends alone.
  if (refresh !== undefined && familyId === undefined) {
    await ctx.refreshPolicy.revoke(refresh.jti, refresh.userId);
  }
  const ended =
    familyId !== undefined
      ? await endFamily(ctx, userId, familyId)
      : await endSessionOfAccessToken(ctx, userId, claims.jti);
  callHook(ctx.hooks, 'onLogout', { sessions: ended ? 1 : 0 }, ctx.logger);
  return loggedOutAnswer(ctx, { msg: 'Logged out' });
}

/**
 * The family (session) to end: the access token's `sid`; a refresh token sent with the logout
 * must be of that same session and user (400 otherwise). Tokens from before `sid` existed
 * name their session by the refresh token only.
 */
function sessionOf(
  ctx: FlowContext,
  claims: TokenUserData,
  userId: string,
  refresh: RefreshTokenData | undefined,
): string | undefined {
  if (refresh === undefined) return claims.sid;
  const foreign =
    refresh.userId !== userId || (claims.sid !== undefined && refresh.familyId !== claims.sid);
  if (foreign) throw new InvalidRequestError(FOREIGN_REFRESH, ctx.realm);
  return claims.sid ?? refresh.familyId;
}

/** A token from before `sid`, with no refresh token: its session is found by its access jti. */
async function endSessionOfAccessToken(
  ctx: FlowContext,
  userId: string,
  accessJti: string,
): Promise<boolean> {
  const sessions = ctx.sessions;
  if (sessions === undefined) return false;
  const mine = await sessions.attempt(async (store) =>
    (await store.list(userId)).find((s) => s.accessJti === accessJti),
  );
  if (!mine) return false;
  const session = await sessions.attempt((store) => store.revoke(userId, mine.id));
  if (!session) return false;
  await endTokensOf(ctx, session);
  return true;
}

/** The refresh token sent with a logout, verified; an absent, invalid or expired one is no obstacle. */
async function presentedRefresh(
  ctx: FlowContext,
  request: FlowRequest,
): Promise<RefreshTokenData | undefined> {
  let token: string;
  try {
    token = refreshTokenOf(ctx, request);
  } catch {
    return undefined; // logout without a (valid) refresh token still ends the access token
  }
  return ctx.refreshPolicy.verify(token).catch(() => undefined);
}

export async function logoutAll(ctx: FlowContext, request: FlowRequest): Promise<FlowResponse> {
  const { claims } = await authenticated(ctx, request);
  await ctx.policy.revoke(claims);
  const ended = await endAllSessions(ctx, claims.sub);
  callHook(ctx.hooks, 'onLogout', { sessions: ended }, ctx.logger);
  return loggedOutAnswer(ctx, { msg: 'Logged out everywhere', sessions_revoked: ended });
}

/**
 * Ends every session of a user: every refresh token of every family and the access tokens
 * issued with them (one store call to list them), then the session records. Resolves how many
 * session records ended. What logout-all does, and what an app does when it disables or
 * deletes an account or an administrator ends a user's sessions (ASVS 5 V7.4.2, V7.4.5).
 */
export async function endAllSessions(ctx: FlowContext, sub: string): Promise<number> {
  const userId = storedUserId(sub);
  await blacklistAccessOf(ctx, await ctx.refreshPolicy.revokeUser(userId, stillValidSince(ctx)));
  const ended = (await ctx.sessions?.attempt((store) => store.revokeAll(userId))) ?? [];
  return ended.length;
}
