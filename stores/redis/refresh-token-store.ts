import { createHash } from 'node:crypto';
import type {
  RefreshTokenRegistration,
  RefreshTokenStore,
  RotateResult,
} from '../../lib/security/stores';
import { runRedis, type RedisLikeClient } from './client';
import {
  ADD_TO_SET,
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
  keyPrefix?: string;
  /** Upper bound of one store operation, in ms. Default 500. */
  commandTimeoutMs?: number;
}

/**
 * Refresh-token allowlist in Redis (single node or Cluster).
 *
 * Key layout (prefix `rt:`):
 * - `rt:i:<jti>` → family id (the jti index, expires with the token);
 * - `rt:{<family hash>}:t:<jti>` → hash { s: active|rotated|revoked, u: user, f: family };
 * - `rt:{<family hash>}:m` → set of the family's jtis;
 * - `rt:u:<user>` → set of the user's family ids.
 */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: RedisRefreshTokenStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'rt:';
    this.#timeoutMs = options.commandTimeoutMs ?? 500;
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
    }, this.#timeoutMs);
  }

  isValid(jti: string): Promise<boolean> {
    return runRedis(async () => {
      const family = await this.#familyOf(jti);
      if (family === undefined) return false;
      const state = await TOKEN_STATE.run(this.#client, [this.#tokenKey(family, jti)], []);
      return state === 'active';
    }, this.#timeoutMs);
  }

  rotate(oldJti: string, newJti: string, ttlSeconds: number): Promise<RotateResult> {
    const ttl = String(Math.max(1, Math.ceil(ttlSeconds)));
    return runRedis(async (): Promise<RotateResult> => {
      const c = this.#client;
      const family = await this.#familyOf(oldJti);
      if (family === undefined) return { status: 'unknown' };
      const reply = (await ROTATE.run(
        c,
        [this.#tokenKey(family, oldJti), this.#tokenKey(family, newJti), this.#membersKey(family)],
        [newJti, ttl],
      )) as string[];
      if (reply[0] === 'unknown') return { status: 'unknown' };
      const result = { userId: String(reply[1]), familyId: String(reply[2]) };
      if (reply[0] !== 'rotated') return { status: 'reused', ...result };
      // The new jti is findable before the caller can hand it out.
      await SET_EX.run(c, [this.#indexKey(newJti)], [family, ttl]);
      await ADD_TO_SET.run(c, [this.#userKey(result.userId)], [family, ttl]);
      return { status: 'rotated', ...result };
    }, this.#timeoutMs);
  }

  revoke(jti: string): Promise<void> {
    return runRedis(async () => {
      const family = await this.#familyOf(jti);
      if (family !== undefined)
        await REVOKE_ONE.run(this.#client, [this.#tokenKey(family, jti)], []);
    }, this.#timeoutMs);
  }

  revokeFamily(familyId: string): Promise<number> {
    return runRedis(() => this.#revokeFamily(familyId), this.#timeoutMs);
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
    }, this.#timeoutMs);
  }
}
