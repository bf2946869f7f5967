/**
 * What the tests of refresh stores linked to their session store share: a login (the token
 * registered, its session created) and the advance a rotation to `jti` carries.
 */
import { randomUUID } from 'node:crypto';
import type {
  RefreshTokenStore,
  SessionAdvance,
  SessionRecord,
  SessionStore,
} from '../../lib/security/store-contracts';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A login a minute ago: `jti` registered for `userId` in `familyId`, and its session. */
export async function loginWithSession(
  stores: { refresh: RefreshTokenStore; sessions: SessionStore },
  userId: string,
  familyId: string,
  jti: string,
): Promise<SessionRecord> {
  const at = nowSeconds();
  const session: SessionRecord = {
    id: randomUUID(),
    userId,
    provider: 'password',
    familyId,
    accessJti: `access-${jti}`,
    accessExpiresAt: at + 900,
    refreshTokenHash: `hash-${jti}`,
    refreshExpiresAt: at + 3600,
    createdAt: at - 60,
    lastUsedAt: at - 60,
    userAgent: 'test agent',
  };
  await stores.refresh.register(jti, { userId, familyId, ttlSeconds: 3600 });
  await stores.sessions.create(session);
  return session;
}

/** The session advance of a rotation to `jti` at `at`. */
export const advanceTo = (jti: string, at: number): SessionAdvance => ({
  accessJti: `access-${jti}`,
  accessExpiresAt: at + 900,
  refreshTokenHash: `hash-${jti}`,
  refreshExpiresAt: at + 7200,
  lastUsedAt: at,
});
