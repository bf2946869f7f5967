import { createHash, randomUUID } from 'node:crypto';
import type {
  RefreshTokenRegistration,
  RefreshTokenStore,
  RotateResult,
  StoreRotateOptions,
} from '../../lib/security/stores';
import { runRedis, type RedisLikeClient } from './client';
import {
  ADD_TO_SET,
  ADOPT_LEGACY,
  CLAIM_LEGACY,
  LEGACY_ACTIVE,
  MEMBERS,
  REGISTER,
  REVOKE_FAMILY,
  REVOKE_ONE,
  ROTATE,
  SET_EX,
  TOKEN_STATE,
} from './scripts';

export interface RedisRefreshTokenStoreOptions {
  client: RedisLikeClient;
  /** Key prefix. Default `rt:`. */
  keyPrefix?: string | undefined;
  /**
   * Migration from the Python package's reference store, which keeps a refresh token as
   * `rt:<jti>` = "1" with its TTL. Off by default. When on, a token with no record of ours but
   * such a key rotates here once: the key is claimed and deleted atomically (one concurrent
   * caller wins), the presented token becomes the rotated first member of a new family (the
   * caller's `familyId` hint, else a new UUID, returned as `familyId`) and the new token its
   * active member. Presented again it is a replay or reuse like any rotated token. Needs the
   * caller's `userId` hint (the token's `sub`; `RefreshTokenPolicy` passes it), and only jtis
   * without `:`, `{` or `}` are looked up, so none of our own keys can pass for a legacy one.
   * `isValid` reads such a key as active and `revoke` deletes it; `revokeFamily` and
   * `revokeUser` cannot reach it (the Python layout records neither). Should Redis fail between
   * the claim and the writes that follow it, the token is gone and its user logs in again.
   */
  pythonCompat?: boolean | undefined;
  /** Prefix of the legacy keys `pythonCompat` reads. Default `rt:`, as the Python store. */
  pythonKeyPrefix?: string | undefined;
}

/** A jti whose legacy key cannot be one of ours (all of ours hold `:` or `{` after the prefix). */
const LEGACY_JTI = /^[^:{}]{1,256}$/;

/**
 * Refresh-token allowlist in Redis (single node or Cluster).
 *
 * Key layout (prefix `rt:`):
 * - `rt:i:<jti>` → family id (the jti index, expires with the token);
 * - `rt:{<family hash>}:t:<jti>` → hash { s: active|rotated|revoked, u: user, f: family };
 * - `rt:{<family hash>}:m` → set of the family's jtis;
 * - `rt:u:<user>` → set of the user's family ids.
 *
 * With `pythonCompat`, `rt:<jti>` = "1" (the Python reference store's key) is read and claimed
 * only for a jti none of these records names.
 */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #legacyPrefix: string | undefined;

  constructor(options: RedisRefreshTokenStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'rt:';
    this.#legacyPrefix =
      options.pythonCompat === true ? (options.pythonKeyPrefix ?? 'rt:') : undefined;
  }

  #indexKey(jti: string): string {
    return `${this.#prefix}i:${jti}`;
  }

  #familyTag(familyId: string): string {
    // Hash the id into the tag: an id with braces must not break slot co-location.
    return `${this.#prefix}{${createHash('sha256').update(familyId).digest('hex').slice(0, 32)}}:`;
  }

  #tokenKey(familyId: string, jti: string): string {
    return `${this.#familyTag(familyId)}t:${jti}`;
  }

  #membersKey(familyId: string): string {
    return `${this.#familyTag(familyId)}m`;
  }

  /** With `pythonCompat`, the Python store's key for `jti`; undefined when it cannot be one. */
  #legacyKey(jti: string): string | undefined {
    if (this.#legacyPrefix === undefined || !LEGACY_JTI.test(jti)) return undefined;
    return `${this.#legacyPrefix}${jti}`;
  }

  #userKey(userId: string): string {
    return `${this.#prefix}u:${userId}`;
  }

  async #familyOf(jti: string): Promise<string | undefined> {
    const family = await this.#client.get(this.#indexKey(jti));
    return typeof family === 'string' ? family : undefined;
  }

  register(jti: string, registration: RefreshTokenRegistration): Promise<void> {
    const { userId, familyId } = registration;
    const ttl = String(Math.max(1, Math.ceil(registration.ttlSeconds)));
    return runRedis(async () => {
      const c = this.#client;
      await REGISTER.run(
        c,
        [this.#tokenKey(familyId, jti), this.#membersKey(familyId)],
        [userId, familyId, ttl, jti],
      );
      await ADD_TO_SET.run(c, [this.#userKey(userId)], [familyId, ttl]);
      await SET_EX.run(c, [this.#indexKey(jti)], [familyId, ttl]);
    });
  }

  isValid(jti: string): Promise<boolean> {
    return runRedis(async () => {
      const family = await this.#familyOf(jti);
      if (family === undefined) {
        const legacy = this.#legacyKey(jti);
        return legacy !== undefined && (await LEGACY_ACTIVE.run(this.#client, [legacy], [])) === 1;
      }
      const state = await TOKEN_STATE.run(this.#client, [this.#tokenKey(family, jti)], []);
      return state === 'active';
    });
  }

  /**
   * One round trip when the caller names the token's family and user (`familyId` from its
   * `fid` claim, `userId` from `sub`): the rotation script and the index writes for the new
   * jti are sent together (node-redis pipelines them). Index writes for a rotation that then
   * loses are harmless: they point at a token that does not exist. Without a family hint the
   * jti index is read first. (Pinned by test/contract/redis-python-compat.test.ts: 3 commands in
   * 1 round trip with the hint, 4 in 2 without.)
   */
  rotate(
    oldJti: string,
    newJti: string,
    ttlSeconds: number,
    options: StoreRotateOptions = {},
  ): Promise<RotateResult> {
    const ttl = String(Math.max(1, Math.ceil(ttlSeconds)));
    const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    const grace = String(Math.max(0, options.graceSeconds ?? 0));
    return runRedis(async (): Promise<RotateResult> => {
      const hinted = options.familyId;
      if (hinted !== undefined) {
        const outcome = await this.#rotateIn(
          hinted,
          options.userId,
          oldJti,
          newJti,
          ttl,
          now,
          grace,
        );
        if (outcome.status !== 'unknown') return outcome;
      }
      const family = await this.#familyOf(oldJti);
      if (family === undefined) {
        if (options.userId === undefined) return { status: 'unknown' };
        return this.#rotateLegacy(oldJti, newJti, ttl, now, grace, options.userId, hinted);
      }
      if (family === hinted) return { status: 'unknown' };
      return this.#rotateIn(family, options.userId, oldJti, newJti, ttl, now, grace);
    });
  }

  /** The `pythonCompat` path: no record of ours names `oldJti`. */
  async #rotateLegacy(
    oldJti: string,
    newJti: string,
    ttl: string,
    now: number,
    grace: string,
    userId: string,
    hintedFamily: string | undefined,
  ): Promise<RotateResult> {
    const legacy = this.#legacyKey(oldJti);
    if (legacy === undefined) return { status: 'unknown' };
    const c = this.#client;
    const claimed = await CLAIM_LEGACY.run(c, [legacy], []);
    if (typeof claimed !== 'number') {
      // Lost to a concurrent caller, whose adoption may already be written: judge by it.
      const family = await this.#familyOf(oldJti);
      if (family === undefined) return { status: 'unknown' };
      return this.#rotateIn(family, userId, oldJti, newJti, ttl, now, grace);
    }
    const familyId = hintedFamily ?? randomUUID();
    const oldTtl = String(claimed > 0 ? claimed : ttl);
    // Sent together: one round trip.
    await Promise.all([
      ADOPT_LEGACY.run(
        c,
        [
          this.#tokenKey(familyId, oldJti),
          this.#tokenKey(familyId, newJti),
          this.#membersKey(familyId),
        ],
        [userId, familyId, oldJti, oldTtl, newJti, ttl, String(now)],
      ),
      SET_EX.run(c, [this.#indexKey(oldJti)], [familyId, oldTtl]),
      SET_EX.run(c, [this.#indexKey(newJti)], [familyId, ttl]),
      ADD_TO_SET.run(c, [this.#userKey(userId)], [familyId, ttl]),
    ]);
    return { status: 'rotated', userId, familyId, issuedAt: now };
  }

  async #rotateIn(
    family: string,
    user: string | undefined,
    oldJti: string,
    newJti: string,
    ttl: string,
    now: number,
    grace: string,
  ): Promise<RotateResult> {
    const c = this.#client;
    // Sent together: node-redis writes them in one go, so this is one round trip.
    const [reply] = await Promise.all([
      ROTATE.run(
        c,
        [this.#tokenKey(family, oldJti), this.#tokenKey(family, newJti), this.#membersKey(family)],
        [newJti, ttl, String(now), grace, `${this.#familyTag(family)}t:`],
      ) as Promise<string[]>,
      SET_EX.run(c, [this.#indexKey(newJti)], [family, ttl]),
      // Keep the user's family set alive as long as the family (for revokeUser).
      user === undefined ? undefined : ADD_TO_SET.run(c, [this.#userKey(user)], [family, ttl]),
    ]);
    const status = reply[0];
    if (status === 'unknown') return { status: 'unknown' };
    const userId = String(reply[1]);
    const familyId = String(reply[2]);
    if (status === 'rotated') {
      if (user !== userId) await ADD_TO_SET.run(c, [this.#userKey(userId)], [familyId, ttl]);
      return { status: 'rotated', userId, familyId, issuedAt: Number(reply[3]) };
    }
    if (status === 'replayed') {
      return {
        status: 'replayed',
        userId,
        familyId,
        jti: String(reply[3]),
        issuedAt: Number(reply[4]),
      };
    }
    return { status: 'reused', userId, familyId };
  }

  revoke(jti: string): Promise<void> {
    return runRedis(async () => {
      const family = await this.#familyOf(jti);
      if (family !== undefined) {
        await REVOKE_ONE.run(this.#client, [this.#tokenKey(family, jti)], []);
        return;
      }
      // Logout of a token still in the Python layout: delete it, as the Python store did.
      const legacy = this.#legacyKey(jti);
      if (legacy !== undefined) await CLAIM_LEGACY.run(this.#client, [legacy], []);
    });
  }

  revokeFamily(familyId: string): Promise<number> {
    return runRedis(() => this.#revokeFamily(familyId));
  }

  async #revokeFamily(familyId: string): Promise<number> {
    const count = await REVOKE_FAMILY.run(
      this.#client,
      [this.#membersKey(familyId)],
      [`${this.#familyTag(familyId)}t:`],
    );
    return Number(count);
  }

  revokeUser(userId: string): Promise<number> {
    return runRedis(async () => {
      const families = (await MEMBERS.run(this.#client, [this.#userKey(userId)], [])) as string[];
      let revoked = 0;
      for (const family of families) revoked += await this.#revokeFamily(String(family));
      return revoked;
    });
  }
}
