/**
 * The token pairs the flows sign, and how a session's tokens end. An access token's jti is
 * derived from the refresh token issued with it, so a replay inside the grace re-issues the
 * same access jti, and ending a session can name every access token it ever issued.
 */
import { createHash } from 'node:crypto';
import type { RevokedRefreshToken, SessionRecord } from '../store-contracts';
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

/**
 * Blacklists the access token issued with each refresh token (its jti is derived from the
 * refresh jti, its expiry from the issue time), at every consumer that reads the revocation
 * store — `jwt:blacklist:<jti>` on Redis, what Python consumers read too. Tokens already
 * expired cost nothing (`TokenPolicy.revoke` skips them); an unknown issue time counts as now.
 */
export async function blacklistAccessOf(
  ctx: FlowContext,
  tokens: readonly RevokedRefreshToken[],
): Promise<void> {
  const now = ctx.now();
  const ttl = ctx.issuer.accessTtlSeconds;
  await Promise.all(
    tokens.map((t) => ctx.policy.revoke(accessJtiFor(t.jti), (t.issuedAt ?? now) + ttl)),
  );
}

/** Only tokens whose access token may still be valid are worth listing. */
export function stillValidSince(ctx: FlowContext): { issuedSince: number } {
  return { issuedSince: ctx.now() - ctx.issuer.accessTtlSeconds - ACCESS_LEEWAY_SECONDS };
}

/** Validators accept an access token this long past `exp` (the default leeway). */
const ACCESS_LEEWAY_SECONDS = 5;

/**
 * Ends a session's tokens: every refresh token of its family, and every access token issued
 * with them. A refresh racing this either rotated before (its successor is revoked and listed
 * with the others) or after (it is refused): nothing of the session stays alive.
 */
export async function endTokensOf(
  ctx: FlowContext,
  session: Pick<SessionRecord, 'familyId' | 'userId'>,
): Promise<void> {
  const tokens = await ctx.refreshPolicy.revokeFamily(
    session.familyId,
    session.userId,
    stillValidSince(ctx),
  );
  await blacklistAccessOf(ctx, tokens);
}

/**
 * Ends the session of `familyId`: its tokens (`endTokensOf`, whether or not a session record
 * is kept), then its record. Resolves whether a session record ended.
 */
export async function endFamily(
  ctx: FlowContext,
  userId: string,
  familyId: string,
): Promise<boolean> {
  await endTokensOf(ctx, { familyId, userId });
  const session = await ctx.sessions?.attempt((store) => store.revokeByFamily(userId, familyId));
  return session !== undefined;
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
