/**
 * `POST /auth/refresh`: the one correct rotation. The token is verified once; before the
 * store is asked, the family limit applies, the user is looked up and the new pair is signed
 * with the planned jti, family and time, so a store that keeps sessions with its tokens
 * advances the session in the rotation's own atomic step (one round trip on Redis).
 */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../../core/errors';
import { hashToken } from '../../core/crypto-utils';
import type { RefreshTokenData } from '../../core/types';
import type { RefreshRotation } from '../refresh-token-policy';
import type { SessionAdvance } from '../store-contracts';
import { pairAnswer } from './answer';
import type { AuthUser, FlowContext, FlowRequest, FlowResponse } from './context';
import { refreshTokenOf } from './request';
import { sessionStepAfter } from './session-decision';
import { openSession } from './sessions';
import { blacklistAccessOf, endFamily, issuePair, type IssuedPair } from './tokens';

const INACTIVE_USER = 'Unknown or inactive user';

/** The pair signed before the store decided, with the session advance planned for it. */
interface PlannedPair {
  user: AuthUser;
  pair: IssuedPair;
  issuedAt: number;
  /** The presented token's `auth_time`, when it has one (a token from before it, or from Python, has none). */
  authTime: number | undefined;
  advance?: SessionAdvance | undefined;
}

export async function refresh(ctx: FlowContext, request: FlowRequest): Promise<FlowResponse> {
  await ctx.limiter?.checkIp(request.ip);
  const token = refreshTokenOf(ctx, request);
  let planned: PlannedPair | undefined;
  const rotation = await ctx.refreshPolicy.validateAndRotate(token, {
    newJti: randomUUID(),
    ttlSeconds: ctx.issuer.refreshTtlSeconds,
    beforeRotate: async (presented, next) => {
      await ctx.limiter?.checkFamily(presented.familyId ?? presented.jti);
      const user = await activeUser(ctx, presented);
      const { authTime } = presented;
      const pair = issuePair(
        ctx,
        { ...user, sub: presented.userId },
        {
          jti: next.jti,
          familyId: presented.familyId,
          issuedAt: next.issuedAt,
          authTime: authTime ?? next.issuedAt,
        },
      );
      planned = { user, pair, issuedAt: next.issuedAt, authTime };
      // Without sessions there is nothing to advance (and no hash of the token to take).
      if (ctx.sessions !== undefined) planned.advance = sessionAdvanceOf(pair, next.issuedAt);
      return planned.advance;
    },
    // Theft: the family is revoked already; its access tokens and its session end with it.
    onReuse: async ({ userId, familyId, tokens }) => {
      await blacklistAccessOf(ctx, tokens);
      await ctx.sessions?.attempt((store) => store.revokeByFamily(userId, familyId));
    },
  });
  if (planned === undefined) throw new Error('auth-sdk-m8: the refresh was not planned');
  const { pair, advance } = decidedPair(ctx, planned, rotation);
  const sessionId = await settleSession(ctx, request, rotation, { ...planned, pair, advance });
  return pairAnswer(ctx, {
    access: pair.access.token,
    refresh: pair.refresh.token,
    refreshExpiresAt: pair.refresh.expiresAt,
    sessionId,
  });
}

/** The user behind a refresh, or the 400: an unknown or inactive user's session ends with it. */
async function activeUser(ctx: FlowContext, presented: RefreshTokenData): Promise<AuthUser> {
  const user = await ctx.findUser(presented.userId);
  if (user && user.is_active !== false) return user;
  if (presented.familyId !== undefined) await endFamily(ctx, presented.userId, presented.familyId);
  else await ctx.refreshPolicy.revoke(presented.jti, presented.userId);
  throw new InvalidRequestError(INACTIVE_USER, ctx.realm);
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
 * The pair to answer with: the planned one, unless the store decided otherwise (a replay
 * inside the grace re-issues the successor; a family the token did not name) — then what
 * the store decided is signed, and the planned advance no longer applies.
 */
function decidedPair(
  ctx: FlowContext,
  planned: PlannedPair,
  rotation: RefreshRotation,
): { pair: IssuedPair; advance: SessionAdvance | undefined } {
  const { pair } = planned;
  if (
    rotation.newJti === pair.refresh.jti &&
    rotation.familyId === pair.refresh.familyId &&
    rotation.issuedAt === planned.issuedAt
  ) {
    return { pair, advance: planned.advance };
  }
  // A token without `auth_time` starts its session's clock at the rotation that answers it:
  // the same time on a replay, so the replay re-issues the very same successor.
  const decided = issuePair(
    ctx,
    { ...planned.user, sub: rotation.userId },
    {
      jti: rotation.newJti,
      familyId: rotation.familyId,
      issuedAt: rotation.issuedAt,
      authTime: planned.authTime ?? rotation.issuedAt,
    },
  );
  return { pair: decided, advance: undefined };
}

/** Records the rotation in the family's session (see `sessionStepAfter`); resolves the session id. */
async function settleSession(
  ctx: FlowContext,
  request: FlowRequest,
  rotation: RefreshRotation,
  decided: PlannedPair,
): Promise<string | undefined> {
  const { pair } = decided;
  const familyId = pair.refresh.familyId;
  const step = sessionStepAfter(rotation, ctx.sessions !== undefined);
  switch (step.action) {
    case 'open':
      return openSession(
        ctx,
        { ...decided.user, sub: rotation.userId },
        pair,
        request,
        rotation.issuedAt,
      );
    case 'advanced':
      return step.sessionId;
    case 'advance': {
      const update = decided.advance ?? sessionAdvanceOf(pair, rotation.issuedAt);
      const session = await ctx.sessions?.attempt((store) =>
        store.advance(rotation.userId, familyId, update),
      );
      return session?.id;
    }
    case 'look_up': {
      const session = await ctx.sessions?.attempt((store) =>
        store.getByFamily(rotation.userId, familyId),
      );
      return session?.id;
    }
    default:
      return undefined;
  }
}
