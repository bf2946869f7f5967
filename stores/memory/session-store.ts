import {
  MAX_LISTED_SESSIONS,
  type SessionAdvance,
  type SessionRecord,
  type SessionStore,
} from '../../lib/security/store-contracts';
import { BoundedExpiringMap, type Clock } from './bounded-map';
import { boundedListLimit, clipSession } from '../session-fields';

export interface MemorySessionStoreOptions {
  /** Most sessions kept at once (default 100 000). When full, expired ones go first, then the oldest. */
  maxEntries?: number | undefined;
  /** Milliseconds since the epoch (default `Date.now`); injectable for tests. */
  clock?: Clock | undefined;
}

interface Entry {
  session: SessionRecord;
  /** Milliseconds since the epoch: the session expires with its refresh token. */
  expiresAt: number;
}

/**
 * Sessions held in this process (one instance, tests, the example service): lost on restart.
 * Each user's sessions are indexed by id and by refresh family.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions: BoundedExpiringMap<Entry>;
  readonly #byUser = new Map<string, Set<string>>();
  readonly #byFamily = new Map<string, string>();

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#sessions = new BoundedExpiringMap<Entry>({
      name: 'MemorySessionStore',
      maxEntries: options.maxEntries ?? 100_000,
      clock: options.clock ?? Date.now,
      onRemove: (id, { session }) => {
        const ids = this.#byUser.get(session.userId);
        ids?.delete(id);
        if (ids?.size === 0) this.#byUser.delete(session.userId);
        if (this.#byFamily.get(familyKey(session.userId, session.familyId)) === id) {
          this.#byFamily.delete(familyKey(session.userId, session.familyId));
        }
      },
    });
  }

  /** Sessions currently held (expired ones may linger until read or swept). */
  get size(): number {
    return this.#sessions.size;
  }

  async create(session: SessionRecord): Promise<void> {
    const record = clipSession(session);
    const expiresAt = record.refreshExpiresAt * 1000;
    if (expiresAt <= this.#sessions.now()) return; // born expired: nothing to keep
    this.#sessions.set(record.id, { session: record, expiresAt });
    let ids = this.#byUser.get(record.userId);
    if (ids === undefined) {
      ids = new Set();
      this.#byUser.set(record.userId, ids);
    }
    ids.add(record.id);
    this.#byFamily.set(familyKey(record.userId, record.familyId), record.id);
  }

  async advance(
    userId: string,
    familyId: string,
    update: SessionAdvance,
  ): Promise<SessionRecord | undefined> {
    const entry = this.#entryByFamily(userId, familyId);
    if (entry === undefined) return undefined;
    entry.session = { ...entry.session, ...pickAdvance(update) };
    entry.expiresAt = entry.session.refreshExpiresAt * 1000;
    return { ...entry.session };
  }

  async get(userId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const entry = this.#entry(userId, sessionId);
    return entry && { ...entry.session };
  }

  async getByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined> {
    const entry = this.#entryByFamily(userId, familyId);
    return entry && { ...entry.session };
  }

  async list(userId: string, limit: number = MAX_LISTED_SESSIONS): Promise<SessionRecord[]> {
    const sessions: SessionRecord[] = [];
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      const entry = this.#entry(userId, id);
      if (entry !== undefined) sessions.push({ ...entry.session });
    }
    return sessions.sort(newestFirst).slice(0, boundedListLimit(limit));
  }

  async revoke(userId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const entry = this.#entry(userId, sessionId);
    if (entry === undefined) return undefined;
    this.#sessions.delete(sessionId);
    return entry.session;
  }

  async revokeByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined> {
    const entry = this.#entryByFamily(userId, familyId);
    if (entry === undefined) return undefined;
    this.#sessions.delete(entry.session.id);
    return entry.session;
  }

  async revokeAll(userId: string): Promise<SessionRecord[]> {
    const ended: SessionRecord[] = [];
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      const entry = this.#entry(userId, id);
      if (entry === undefined) continue;
      this.#sessions.delete(id);
      ended.push(entry.session);
    }
    return ended.sort(newestFirst);
  }

  #entry(userId: string, sessionId: string): Entry | undefined {
    const entry = this.#sessions.get(sessionId);
    // Another user's session id is as good as unknown.
    return entry?.session.userId === userId ? entry : undefined;
  }

  #entryByFamily(userId: string, familyId: string): Entry | undefined {
    const id = this.#byFamily.get(familyKey(userId, familyId));
    return id === undefined ? undefined : this.#entry(userId, id);
  }
}

function familyKey(userId: string, familyId: string): string {
  return `${userId}\u0000${familyId}`;
}

function pickAdvance(update: SessionAdvance): SessionAdvance {
  const { accessJti, accessExpiresAt, refreshTokenHash, refreshExpiresAt, lastUsedAt } = update;
  return { accessJti, accessExpiresAt, refreshTokenHash, refreshExpiresAt, lastUsedAt };
}

function newestFirst(a: SessionRecord, b: SessionRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
