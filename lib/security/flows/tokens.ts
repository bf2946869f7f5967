/**
 * The token pairs the flows sign, and how a session's tokens end. An access token's jti is
 * derived from the refresh token issued with it, so a replay inside the grace re-issues the
 * same access jti, and ending a session can name every access token it ever issued.
 */
import { createHash } from 'node:crypto';
import type { SessionRecord } from '../store-contracts';
import type { AccessTokenSubject, IssuedRefreshToken, IssuedToken } from '../token-issuer';
import type { AuthUser, FlowContext } from './context';

/** An access token and its refresh token, signed together. */
export interface IssuedPair {
  access: IssuedToken;
  refresh: IssuedRefreshToken;
}

/** The refresh token a pair is signed around. */
export interface PairPlan {
  jti: string;
  /** The session: its refresh family (a login starts a new one). */
  familyId?: string | undefined;
  issuedAt: number;
  /** The login the session started with: carried as `auth_time`, it bounds the session's life. */
  authTime: number;
}

/**
 * The access-token jti that goes with a refresh-token jti: derived, so the pair a replay
 * inside the grace re-issues carries the same access jti as the first answer (revoking the
 * session then blacklists every copy).
 */
export function accessJtiFor(refreshJti: string): string {
  const h = createHash('sha256').update(`access:${refreshJti}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function issuePair(ctx: FlowContext, user: AuthUser, plan: PairPlan): IssuedPair {
  const refresh = ctx.issuer.issueRefreshToken({
    userId: user.sub,
    familyId: plan.familyId,
    jti: plan.jti,
    issuedAt: plan.issuedAt,
    authTime: plan.authTime,
  });
  // The access token names its session (`sid`, the family), so any of its access tokens leads
  // to it, and carries the login time for step-up checks (`requireFreshLogin`).
  const access = ctx.issuer.issueAccessToken(claimsOf(user), {
    jti: accessJtiFor(refresh.jti),
    issuedAt: plan.issuedAt,
    sessionId: refresh.familyId,
    authTime: plan.authTime,
  });
  return { access, refresh };
}

/** Ends a session's tokens: its refresh family, and its access jti for that token's life. */
export async function endTokensOf(ctx: FlowContext, session: SessionRecord): Promise<void> {
  await ctx.refreshPolicy.revokeFamily(session.familyId, session.userId);
  await ctx.policy.revoke(session.accessJti, session.accessExpiresAt);
}

/**
 * Ends the session of `familyId`: its refresh family (whether or not a session record is
 * kept), then its record and the record's access token. Resolves whether a session record ended.
 */
export async function endFamily(
  ctx: FlowContext,
  userId: string,
  familyId: string,
): Promise<boolean> {
  await ctx.refreshPolicy.revokeFamily(familyId, userId);
  const session = await ctx.sessions?.attempt((store) => store.revokeByFamily(userId, familyId));
  if (!session) return false;
  await ctx.policy.revoke(session.accessJti, session.accessExpiresAt);
  return true;
}

/** The access-token claims of a user (what `verifyCredentials` / `findUser` returned, minus the rest). */
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
