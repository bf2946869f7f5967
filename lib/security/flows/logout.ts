/** `POST /auth/logout` and `POST /auth/logout-all`: the caller's tokens and sessions end. */
import { callHook } from '../hooks';
import { storedUserId } from '../user-id';
import { loggedOutAnswer } from './answer';
import type { FlowContext, FlowRequest, FlowResponse } from './context';
import { refreshTokenOf } from './request';
import { authenticated } from './sessions';
import { endTokensOf } from './tokens';

export async function logout(ctx: FlowContext, request: FlowRequest): Promise<FlowResponse> {
  const { claims } = await authenticated(ctx, request);
  const userId = storedUserId(claims.sub);
  await ctx.policy.revoke(claims);
  const ended = await endSessionOf(ctx, request, userId, claims.jti);
  callHook(ctx.hooks, 'onLogout', { sessions: ended }, ctx.logger);
  return loggedOutAnswer(ctx, { msg: 'Logged out' });
}

/** Ends the caller's session: the one of the refresh token sent, else the access token's. */
async function endSessionOf(
  ctx: FlowContext,
  request: FlowRequest,
  userId: string,
  accessJti: string,
): Promise<number> {
  const refresh = await presentedRefresh(ctx, request);
  const sessions = ctx.sessions;
  if (refresh !== undefined && refresh.userId === userId) {
    await ctx.refreshPolicy.revoke(refresh.jti, refresh.userId);
    const familyId = refresh.familyId;
    if (familyId === undefined) return 0;
    const session = await sessions?.attempt((store) => store.revokeByFamily(userId, familyId));
    if (!session) return 0;
    await endTokensOf(ctx, session);
    return 1;
  }
  if (sessions === undefined) return 0;
  // No refresh token: the session is the one this access token belongs to.
  const mine = await sessions.attempt(async (store) =>
    (await store.list(userId)).find((s) => s.accessJti === accessJti),
  );
  if (!mine) return 0;
  const session = await sessions.attempt((store) => store.revoke(userId, mine.id));
  if (!session) return 0;
  await endTokensOf(ctx, session);
  return 1;
}

/** The refresh token sent with a logout, verified; an absent, invalid or expired one is no obstacle. */
async function presentedRefresh(ctx: FlowContext, request: FlowRequest) {
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
  const userId = storedUserId(claims.sub);
  await ctx.policy.revoke(claims);
  const ended = (await ctx.sessions?.attempt((store) => store.revokeAll(userId))) ?? [];
  for (const session of ended) await endTokensOf(ctx, session);
  await ctx.refreshPolicy.revokeUser(userId);
  callHook(ctx.hooks, 'onLogout', { sessions: ended.length }, ctx.logger);
  return loggedOutAnswer(ctx, { msg: 'Logged out everywhere', sessions_revoked: ended.length });
}
