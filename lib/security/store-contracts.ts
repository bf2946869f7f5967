/**
 * The store contracts. Implementations live in `stores/` and take the user's own client or
 * pool; `test/contract` runs one suite per interface against every implementation. Every
 * method rejects with `StoreUnavailableError` when the backing server cannot answer (the
 * driver's error kept as `cause`, its code and message in the error's message); time bounds
 * and the circuit breaker belong to the caller's `StoreGuard`, not to the store.
 */

/** Access-token revocation (the JTI blacklist; Redis key `jwt:blacklist:<jti>`). */
export interface RevocationStore {
  /** Revoke `jti` for `ttlSeconds` (the token's remaining life; ≤ 0 means nothing to keep). */
  revoke(jti: string, ttlSeconds: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /**
   * An answer known without I/O and exact at this moment (e.g. kept by Redis's invalidations),
   * or undefined when only `isRevoked` can tell. Asked first on every check; never throws.
   */
  isRevokedLocally?: ((jti: string) => boolean | undefined) | undefined;
  close?: (() => Promise<void>) | undefined;
}

export interface RefreshTokenRegistration {
  userId: string;
  /** All tokens rotated from one login share a family; reuse revokes the family. */
  familyId: string;
  ttlSeconds: number;
  /** When the token was issued (the caller's clock, epoch seconds). Default: the store's clock. */
  issuedAt?: number | undefined;
}

/** A refresh token a revocation reached: the flows blacklist the access token issued with it. */
export interface RevokedRefreshToken {
  jti: string;
  /** When it was issued (epoch seconds); undefined for a record written before issue times were kept. */
  issuedAt: number | undefined;
}

export interface RefreshRevocationOptions {
  /** List only tokens issued at or after this time (epoch seconds; unknown issue times are always listed). Default: all. */
  issuedSince?: number | undefined;
}

/** How a rotation treats a token that was already rotated (benign concurrency vs theft). */
export interface StoreRotationOptions {
  /**
   * A rotated token presented again within this many seconds of its rotation, while its
   * successor is still unused, gets that successor back (`replayed`) instead of counting as
   * theft. 0 (default) turns the grace off.
   */
  graceSeconds?: number | undefined;
  /**
   * The caller's clock in epoch seconds (default the store's): recorded as the rotation time
   * and as the new token's issue time.
   */
  nowSeconds?: number | undefined;
  /**
   * The presented token's user (its `sub`). A refresh token is addressed by its user and its
   * jti: a jti registered for another user is `unknown` here (so a store can keep a user's
   * tokens together: one Redis Cluster slot, one index range).
   */
  userId: string;
  /**
   * The family the presented token names (its `fid`): the family `session` is planned for.
   * Only a hint: the store's own record decides the family of the rotation.
   */
  familyId?: string | undefined;
  /**
   * The session of the family advances in the same atomic step, when the store keeps sessions
   * with its tokens (it then reports `session` in the `rotated` result); applied only to a
   * rotation in the `familyId` named above.
   */
  session?: SessionAdvance | undefined;
  /**
   * Epoch ms after which the caller no longer waits (its guard answered 503): a store that
   * can still undo the rotation then (a SQL transaction) rolls back instead of committing.
   */
  deadline?: number | undefined;
}

/**
 * Outcome of an atomic rotation. Of N concurrent `rotate(old, …)` calls exactly one returns
 * `rotated`; the others see `replayed` (inside the grace) or `reused`.
 * - `rotated`: `old` was active; it is now used and `new` is active in the same family.
 *   `issuedAt` is the rotation time (epoch seconds), to sign the successor with.
 * - `replayed`: `old` was rotated less than `graceSeconds` ago and its successor `jti` is
 *   unused: the same successor, issued at `issuedAt`, is the answer (nothing changes).
 * - `reused`: `old` was rotated and is presented again outside the grace (or its successor is
 *   no longer active) — a theft signal.
 * - `revoked`: `old` was revoked (`revoke`, `revokeFamily`, `revokeUser`): its session ended.
 *   Refused, but not a theft signal.
 * - `unknown`: `old` was never registered here, or has expired.
 */
export type StoreRotation =
  | {
      status: 'rotated';
      userId: string;
      familyId: string;
      issuedAt: number;
      /**
       * Present when the store applied the `session` advance with the rotation: the updated
       * session, or null when the family has no active session. Absent: the caller advances it.
       */
      session?: SessionRecord | null | undefined;
      /**
       * True when `old` was a token of the Python reference store (`pythonCompat`): its family
       * starts with this rotation, and has no session yet.
       */
      adopted?: boolean | undefined;
    }
  | { status: 'replayed'; userId: string; familyId: string; jti: string; issuedAt: number }
  | { status: 'reused'; userId: string; familyId: string }
  | { status: 'revoked'; userId: string; familyId: string }
  | { status: 'unknown' };

/**
 * Refresh-token allowlist with rotation, families and theft detection. Every token is
 * addressed by its user and its jti (the user is the verified token's `sub`).
 */
export interface RefreshTokenStore {
  /** Record a freshly issued refresh `jti` as active (at login). */
  register(jti: string, registration: RefreshTokenRegistration): Promise<void>;
  /** True while `jti` is an active token of `userId` (registered, not rotated, not revoked, not expired). */
  isValid(jti: string, userId: string): Promise<boolean>;
  /** Atomically retire `oldJti` (a token of `options.userId`) and activate `newJti` in its family for `ttlSeconds`. */
  rotate(
    oldJti: string,
    newJti: string,
    ttlSeconds: number,
    options: StoreRotationOptions,
  ): Promise<StoreRotation>;
  /** Revoke one active token of `userId` (logout). Unknown jti, or another user's: no-op. */
  revoke(jti: string, userId: string): Promise<void>;
  /**
   * Revoke every token of a family of `userId`, active and rotated ones: any of them presented
   * later is `revoked`, not `reused`. Resolves every token of the family the store still keeps
   * (any state, those revoked before included), filtered by `options.issuedSince`. Marking and
   * listing are one atomic step: a rotation racing it either came first (its successor is
   * revoked and listed) or comes after (and sees `revoked`).
   */
  revokeFamily(
    familyId: string,
    userId: string,
    options?: RefreshRevocationOptions,
  ): Promise<RevokedRefreshToken[]>;
  /** `revokeFamily` for every family of the user ("log out everywhere"). */
  revokeUser(userId: string, options?: RefreshRevocationOptions): Promise<RevokedRefreshToken[]>;
  close?: (() => Promise<void>) | undefined;
}

/**
 * One login on one device (the Python `SessionModel`, made useful). Times are epoch seconds.
 * Never holds a token: only the SHA-256 of the current refresh token (`hashToken`).
 */
export interface SessionRecord {
  /** A UUID. */
  id: string;
  userId: string;
  /** `AuthProviderType`: `password`, `google`, … */
  provider: string;
  /** The refresh family this session rotates in. */
  familyId: string;
  /** The current access token's jti and expiry (revoked with the session). */
  accessJti: string;
  accessExpiresAt: number;
  /** `hashToken(current refresh token)`. */
  refreshTokenHash: string;
  /** The session expires with its refresh token. */
  refreshExpiresAt: number;
  createdAt: number;
  lastUsedAt: number;
  /** At most 512 characters (longer values are cut). */
  userAgent?: string | undefined;
  /** At most 64 characters. */
  ip?: string | undefined;
}

/** What a rotation changes in its session. */
export type SessionAdvance = Pick<
  SessionRecord,
  'accessJti' | 'accessExpiresAt' | 'refreshTokenHash' | 'refreshExpiresAt' | 'lastUsedAt'
>;

/** The longest list `SessionStore.list` returns. */
export const MAX_LISTED_SESSIONS = 100;

/**
 * Sessions, by user. Every call names the user, so a store can keep a user's sessions
 * together (one Redis Cluster slot, one index range). Expired sessions are never returned.
 */
export interface SessionStore {
  /** Record a new session (at login). */
  create(session: SessionRecord): Promise<void>;
  /** Apply a rotation to the session of `familyId`; resolves the updated session, or undefined when none is active. */
  advance(
    userId: string,
    familyId: string,
    update: SessionAdvance,
  ): Promise<SessionRecord | undefined>;
  get(userId: string, sessionId: string): Promise<SessionRecord | undefined>;
  getByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined>;
  /** The user's active sessions, newest first, at most `limit` (default and cap `MAX_LISTED_SESSIONS`). */
  list(userId: string, limit?: number): Promise<SessionRecord[]>;
  /** End one session; resolves it as it was (to revoke its tokens), or undefined when none was active. */
  revoke(userId: string, sessionId: string): Promise<SessionRecord | undefined>;
  revokeByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined>;
  /** End every session of the user; resolves them as they were. */
  revokeAll(userId: string): Promise<SessionRecord[]>;
  close?: (() => Promise<void>) | undefined;
}

/** One counted hit of a fixed window. */
export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** Seconds until the window ends (≥ 1). */
  resetInSeconds: number;
}

/** One hit of `hitMany`: under `key`, in a window of `windowSeconds` if it opens one. */
export interface RateLimitCount {
  key: string;
  windowSeconds: number;
}

/** One change of `undo`. */
export interface RateLimitUndo {
  key: string;
  /** How many hits to take back (never below 0), or 'all' to forget the key's window. */
  hits: number | 'all';
}

/**
 * Fixed-window counters for rate limits: `hit` counts one request under `key` and says how
 * many the current window holds. The first hit of a key opens a window of `windowSeconds`;
 * a hit after the window ended opens a new one.
 */
export interface RateLimitStore {
  hit(key: string, windowSeconds: number): Promise<RateLimitHit>;
  /**
   * One hit under each key, each in its own window, in ONE call (one round trip on a server
   * store); answers in order. A key given twice is hit twice (the second answer counts both).
   */
  hitMany(counts: readonly RateLimitCount[]): Promise<RateLimitHit[]>;
  /**
   * Take hits back, in ONE call: a count never goes below 0 and its window goes on ('all'
   * forgets the window: the next hit opens a new one). A key without a window is left alone.
   */
  undo(changes: readonly RateLimitUndo[]): Promise<void>;
  close?: (() => Promise<void>) | undefined;
}
