import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '../../lib/core/errors';
import type {
  RefreshRevocationOptions,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RevokedRefreshToken,
  StoreRotation,
  SessionRecord,
  StoreRotationOptions,
} from '../../lib/security/store-contracts';
import { runRedis, type RedisLikeClient } from './client';
import { sessionKeyspaceOf, userHashTag, userTag } from './keys';
import {
  ADOPT_LEGACY,
  CLAIM_LEGACY,
  LEGACY_ACTIVE,
  REGISTER,
  REVOKE_FAMILY,
  REVOKE_ONE,
  REVOKE_USER,
  ROTATE,
  TOKEN_STATE,
} from './scripts';
import { parseSession, sessionAdvanceJson, type RedisSessionStore } from './session-store';

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
  /**
   * The `RedisSessionStore` (on the same client) of the auth flows: a rotation then advances
   * the session of its family in its own script, so a refresh is one command to Redis.
   */
  sessions?: RedisSessionStore | undefined;
}

/** A jti whose legacy key cannot be one of ours (all of ours hold `{` after the prefix). */
const LEGACY_JTI = /^[^:{}]{1,256}$/;

/**
 * Refresh-token allowlist in Redis (single node or Cluster). Every key of one user carries the
 * user's hash tag, so each operation is one script on one slot, and a rotation (with the
 * advance of its session, when `sessions` is given) is one command.
 *
 * Key layout (prefix `rt:`, `{U}` the user's hash tag):
 * - `rt:{U}:t:<jti>` → hash { s: active|rotated|revoked, u: user, f: family, i: issued at,
 *   n: successor, r: rotated at } (`i` is missing from records written before it was kept);
 * - `rt:{U}:m:<family>` → set of the family's jtis;
 * - `rt:{U}:f` → set of the user's families.
 *
 * With `pythonCompat`, `rt:<jti>` = "1" (the Python reference store's key) is read and claimed
 * only for a jti none of these records names.
 */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #legacyPrefix: string | undefined;
  readonly #sessionPrefix: string | undefined;

  constructor(options: RedisRefreshTokenStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'rt:';
    this.#legacyPrefix =
      options.pythonCompat === true ? (options.pythonKeyPrefix ?? 'rt:') : undefined;
    if (options.sessions !== undefined) {
      const keyspace = sessionKeyspaceOf(options.sessions);
      if (keyspace === undefined || keyspace.client !== options.client) {
        throw new ConfigurationError(
          'RedisRefreshTokenStore: `sessions` must be a RedisSessionStore on the same client',
        );
      }
      this.#sessionPrefix = keyspace.prefix;
    }
  }

  #tag(userId: string): string {
    return userTag(this.#prefix, userId);
  }

  /** The key of `jti` under a user's `tag` (`#tag`: one hash per operation, not per key). */
  #tokenKey(tag: string, jti: string): string {
    return `${tag}t:${jti}`;
  }

  /** With `pythonCompat`, the Python store's key for `jti`; undefined when it cannot be one. */
  #legacyKey(jti: string): string | undefined {
    if (this.#legacyPrefix === undefined || !LEGACY_JTI.test(jti)) return undefined;
    return `${this.#legacyPrefix}${jti}`;
  }

  register(jti: string, registration: RefreshTokenRegistration): Promise<void> {
    const { userId, familyId } = registration;
    const ttl = String(Math.max(1, Math.ceil(registration.ttlSeconds)));
    const issuedAt = String(registration.issuedAt ?? nowSeconds());
    const tag = this.#tag(userId);
    return runRedis(async () => {
      await REGISTER.run(
        this.#client,
        [this.#tokenKey(tag, jti)],
        [userId, familyId, ttl, jti, tag, issuedAt],
      );
    });
  }

  isValid(jti: string, userId: string): Promise<boolean> {
    return runRedis(async () => {
      const key = this.#tokenKey(this.#tag(userId), jti);
      const state = await TOKEN_STATE.run(this.#client, [key], [userId]);
      if (typeof state === 'string') return state === 'active';
      const legacy = this.#legacyKey(jti);
      return legacy !== undefined && (await LEGACY_ACTIVE.run(this.#client, [legacy], [])) === 1;
    });
  }

  /**
   * One command: the rotation script over the user's keys, which with `sessions` also
   * advances the session of the family. (Pinned by test/contract/redis-python-compat.test.ts.)
   */
  rotate(
    oldJti: string,
    newJti: string,
    ttlSeconds: number,
    options: StoreRotationOptions,
  ): Promise<StoreRotation> {
    const ttl = String(Math.max(1, Math.ceil(ttlSeconds)));
    const now = options.nowSeconds ?? nowSeconds();
    const grace = String(Math.max(0, options.graceSeconds ?? 0));
    const { userId } = options;
    return runRedis(async (): Promise<StoreRotation> => {
      const outcome = await this.#rotate(oldJti, newJti, ttl, now, grace, options);
      if (outcome.status !== 'unknown' || this.#legacyKey(oldJti) === undefined) return outcome;
      return this.#rotateLegacy(oldJti, newJti, ttl, now, grace, userId, options);
    });
  }

  async #rotate(
    oldJti: string,
    newJti: string,
    ttl: string,
    now: number,
    grace: string,
    options: StoreRotationOptions,
  ): Promise<StoreRotation> {
    const { userId } = options;
    const advance = this.#sessionPrefix !== undefined ? options.session : undefined;
    // One hash of the user for every key of the script, the session keys' included.
    const hashTag = userHashTag(userId);
    const tag = `${this.#prefix}${hashTag}:`;
    const reply = (await ROTATE.run(
      this.#client,
      [this.#tokenKey(tag, oldJti), this.#tokenKey(tag, newJti)],
      [
        newJti,
        ttl,
        String(now),
        grace,
        tag,
        userId,
        options.familyId ?? '',
        advance === undefined ? '' : `${this.#sessionPrefix!}${hashTag}:`,
        advance === undefined ? '' : sessionAdvanceJson(advance),
      ],
    )) as unknown[];
    const status = reply[0];
    if (status === 'unknown') return { status: 'unknown' };
    const familyId = String(reply[2]);
    if (status === 'rotated') {
      const rotated: StoreRotation = {
        status: 'rotated',
        userId,
        familyId,
        issuedAt: Number(reply[3]),
      };
      if (reply[4] !== 'skipped') rotated.session = sessionOf(userId, reply[4]);
      return rotated;
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
    return { status: status === 'revoked' ? 'revoked' : 'reused', userId, familyId };
  }

  /** The `pythonCompat` path: no record of ours names `oldJti`. */
  async #rotateLegacy(
    oldJti: string,
    newJti: string,
    ttl: string,
    now: number,
    grace: string,
    userId: string,
    options: StoreRotationOptions,
  ): Promise<StoreRotation> {
    const c = this.#client;
    const claimed = await CLAIM_LEGACY.run(c, [this.#legacyKey(oldJti)!], []);
    if (typeof claimed !== 'number') {
      // Lost to a concurrent caller, whose adoption may already be written: judge by it.
      return this.#rotate(oldJti, newJti, ttl, now, grace, options);
    }
    const familyId = options.familyId ?? randomUUID();
    const oldTtl = String(claimed > 0 ? claimed : ttl);
    const tag = this.#tag(userId);
    await ADOPT_LEGACY.run(
      c,
      [this.#tokenKey(tag, oldJti), this.#tokenKey(tag, newJti)],
      [userId, familyId, oldJti, oldTtl, newJti, ttl, String(now), tag],
    );
    return { status: 'rotated', userId, familyId, issuedAt: now, adopted: true };
  }

  revoke(jti: string, userId: string): Promise<void> {
    return runRedis(async () => {
      const c = this.#client;
      await REVOKE_ONE.run(c, [this.#tokenKey(this.#tag(userId), jti)], [userId]);
      // Logout of a token still in the Python layout: delete it, as the Python store did.
      const legacy = this.#legacyKey(jti);
      if (legacy !== undefined) await CLAIM_LEGACY.run(c, [legacy], []);
    });
  }

  revokeFamily(
    familyId: string,
    userId: string,
    options: RefreshRevocationOptions = {},
  ): Promise<RevokedRefreshToken[]> {
    const tag = this.#tag(userId);
    const since = sinceArgument(options);
    return runRedis(async () =>
      revokedTokens(
        await REVOKE_FAMILY.run(
          this.#client,
          [`${tag}m:${familyId}`],
          [tag, familyId, userId, since],
        ),
      ),
    );
  }

  revokeUser(
    userId: string,
    options: RefreshRevocationOptions = {},
  ): Promise<RevokedRefreshToken[]> {
    const tag = this.#tag(userId);
    const since = sinceArgument(options);
    return runRedis(async () =>
      revokedTokens(await REVOKE_USER.run(this.#client, [`${tag}f`], [tag, userId, since])),
    );
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `issuedSince` as a script argument ('' lists every token). */
function sinceArgument(options: RefreshRevocationOptions): string {
  return options.issuedSince === undefined ? '' : String(options.issuedSince);
}

/** A revocation script's `{jti, issued at or '', …}` reply as the listed tokens. */
function revokedTokens(reply: unknown): RevokedRefreshToken[] {
  const flat = reply as string[];
  const listed: RevokedRefreshToken[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const issued = String(flat[i + 1]);
    listed.push({ jti: String(flat[i]), issuedAt: issued === '' ? undefined : Number(issued) });
  }
  return listed;
}

/** The session a rotation advanced (null: its family has none live). */
function sessionOf(userId: string, reply: unknown): SessionRecord | null {
  return reply === '' ? null : (parseSession(userId, reply) ?? null);
}
