import {
  MAX_LISTED_SESSIONS,
  type SessionAdvance,
  type SessionRecord,
  type SessionStore,
} from '../../lib/security/store-contracts';
import { boundedListLimit, clipSession } from '../session-fields';
import { runRedis, type RedisLikeClient } from './client';
import { registerSessionKeyspace, userTag } from './keys';
import { ADVANCE, CREATE, END, END_ALL, GET, GET_BY_FAMILY, LIST } from './session-scripts';

export interface RedisSessionStoreOptions {
  client: RedisLikeClient;
  /** Key prefix. Default `sess:`. */
  keyPrefix?: string | undefined;
  /** Milliseconds since the epoch (default `Date.now`): what "expired" is measured against. */
  clock?: (() => number) | undefined;
}

/**
 * Sessions in Redis (single node or Cluster). Key layout (prefix `sess:`), every key of one
 * user under the user's hash tag so each operation is one script on one slot:
 * - `sess:{<user hash>}:s:<id>` → the session as JSON (expires with its refresh token);
 * - `sess:{<user hash>}:z` → sorted set of the user's session ids by creation time;
 * - `sess:{<user hash>}:f:<family>` → the session id of a refresh family.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #clock: () => number;

  constructor(options: RedisSessionStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'sess:';
    this.#clock = options.clock ?? Date.now;
    registerSessionKeyspace(this, { client: this.#client, prefix: this.#prefix });
  }

  #tag(userId: string): string {
    return userTag(this.#prefix, userId);
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000);
  }

  create(session: SessionRecord): Promise<void> {
    const s = clipSession(session);
    const ttl = s.refreshExpiresAt - this.#now();
    if (ttl <= 0) return Promise.resolve(); // born expired: nothing to keep
    const tag = this.#tag(s.userId);
    return runRedis(async () => {
      await CREATE.run(
        this.#client,
        [`${tag}s:${s.id}`, `${tag}z`, `${tag}f:${s.familyId}`],
        [JSON.stringify(s), String(ttl), s.id, String(s.createdAt)],
      );
    });
  }

  advance(
    userId: string,
    familyId: string,
    update: SessionAdvance,
  ): Promise<SessionRecord | undefined> {
    const tag = this.#tag(userId);
    return runRedis(async () =>
      parseSession(
        userId,
        await ADVANCE.run(
          this.#client,
          [`${tag}f:${familyId}`, `${tag}z`],
          [String(this.#now()), tag, familyId, sessionAdvanceJson(update)],
        ),
      ),
    );
  }

  get(userId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const tag = this.#tag(userId);
    return runRedis(async () =>
      parseSession(
        userId,
        await GET.run(this.#client, [`${tag}s:${sessionId}`], [String(this.#now())]),
      ),
    );
  }

  getByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined> {
    const tag = this.#tag(userId);
    return runRedis(async () =>
      parseSession(
        userId,
        await GET_BY_FAMILY.run(
          this.#client,
          [`${tag}f:${familyId}`],
          [String(this.#now()), `${tag}s:`],
        ),
      ),
    );
  }

  list(userId: string, limit: number = MAX_LISTED_SESSIONS): Promise<SessionRecord[]> {
    const tag = this.#tag(userId);
    return runRedis(async () =>
      parseSessions(
        userId,
        await LIST.run(
          this.#client,
          [`${tag}z`],
          [String(this.#now()), `${tag}s:`, String(boundedListLimit(limit))],
        ),
      ),
    );
  }

  revoke(userId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const tag = this.#tag(userId);
    return this.#end(userId, `${tag}s:${sessionId}`, 'id');
  }

  revokeByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined> {
    const tag = this.#tag(userId);
    return this.#end(userId, `${tag}f:${familyId}`, 'family');
  }

  revokeAll(userId: string): Promise<SessionRecord[]> {
    const tag = this.#tag(userId);
    return runRedis(async () =>
      parseSessions(
        userId,
        await END_ALL.run(this.#client, [`${tag}z`], [String(this.#now()), `${tag}s:`, `${tag}f:`]),
      ),
    );
  }

  #end(userId: string, key: string, by: 'id' | 'family'): Promise<SessionRecord | undefined> {
    const tag = this.#tag(userId);
    return runRedis(async () =>
      parseSession(
        userId,
        await END.run(
          this.#client,
          [key, `${tag}z`],
          [String(this.#now()), `${tag}s:`, `${tag}f:`, by],
        ),
      ),
    );
  }
}

/** The fields a rotation changes, as the JSON the advance script merges into the session. */
export function sessionAdvanceJson(update: SessionAdvance): string {
  const { accessJti, accessExpiresAt, refreshTokenHash, refreshExpiresAt, lastUsedAt } = update;
  return JSON.stringify({
    accessJti,
    accessExpiresAt,
    refreshTokenHash,
    refreshExpiresAt,
    lastUsedAt,
  });
}

/** A session read back, or undefined (none, or another user's under a colliding tag). */
export function parseSession(userId: string, reply: unknown): SessionRecord | undefined {
  if (typeof reply !== 'string') return undefined;
  const session = JSON.parse(reply) as SessionRecord;
  return session.userId === userId ? session : undefined;
}

function parseSessions(userId: string, reply: unknown): SessionRecord[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((item) => parseSession(userId, item) ?? []);
}
