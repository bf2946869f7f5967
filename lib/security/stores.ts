/**
 * The store contract (DESIGN §4). Implementations live in `stores/` and take the user's own
 * client or pool; `test/contract` runs one suite per interface against every implementation.
 * Every method rejects with `StoreUnavailableError` when the backing server cannot answer.
 */

/** Access-token revocation (the JTI blacklist; Redis key `jwt:blacklist:<jti>`). */
export interface RevocationStore {
  /** Revoke `jti` for `ttlSeconds` (the token's remaining life; ≤ 0 means nothing to keep). */
  revoke(jti: string, ttlSeconds: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  close?(): Promise<void>;
}

export interface RefreshTokenRegistration {
  userId: string;
  /** All tokens rotated from one login share a family; reuse revokes the family. */
  familyId: string;
  ttlSeconds: number;
}

/**
 * Outcome of an atomic rotation. Of N concurrent `rotate(old, …)` calls exactly one returns
 * `rotated`; the others see `reused`.
 * - `rotated`: `old` was active; it is now used and `new` is active in the same family.
 * - `reused`: `old` is known but already rotated or revoked — a theft signal.
 * - `unknown`: `old` was never registered here, or has expired.
 */
export type RotateResult =
  | { status: 'rotated'; userId: string; familyId: string }
  | { status: 'reused'; userId: string; familyId: string }
  | { status: 'unknown' };

/** Refresh-token allowlist with rotation, families and theft detection. */
export interface RefreshTokenStore {
  /** Record a freshly issued refresh `jti` as active (at login). */
  register(jti: string, registration: RefreshTokenRegistration): Promise<void>;
  /** True while `jti` is active (registered, not rotated, not revoked, not expired). */
  isValid(jti: string): Promise<boolean>;
  /** Atomically retire `oldJti` and activate `newJti` in its family for `ttlSeconds`. */
  rotate(oldJti: string, newJti: string, ttlSeconds: number): Promise<RotateResult>;
  /** Revoke one token (logout). Unknown jti: no-op. */
  revoke(jti: string): Promise<void>;
  /** Revoke every token of a family; resolves to how many were active. */
  revokeFamily(familyId: string): Promise<number>;
  /** Revoke every token of a user; resolves to how many were active. */
  revokeUser(userId: string): Promise<number>;
  close?(): Promise<void>;
}
