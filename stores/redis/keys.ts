/**
 * Key layout shared by the Redis refresh-token and session stores: every key of one user
 * carries the same hash tag, whatever the store's prefix (`rt:{…}:`, `sess:{…}:`), so a
 * rotation can advance the session of its family in the same script, on one Cluster slot.
 */
import { createHash } from 'node:crypto';
import type { RedisLikeClient } from './client';

/** `{<user hash>}` — the id is hashed, so braces in it cannot move the slot. */
export function userHashTag(userId: string): string {
  return `{${createHash('sha256').update(userId).digest('hex').slice(0, 32)}}`;
}

/** `<prefix>{<user hash>}:`, the start of every key of the user under `prefix`. */
export function userTag(prefix: string, userId: string): string {
  return `${prefix}${userHashTag(userId)}:`;
}

/** What a refresh-token store needs to know of a session store to advance its sessions. */
export interface SessionKeyspace {
  client: RedisLikeClient;
  prefix: string;
}

const keyspaces = new WeakMap<object, SessionKeyspace>();

/** Called by `RedisSessionStore`'s constructor (kept off its public surface). */
export function registerSessionKeyspace(store: object, keyspace: SessionKeyspace): void {
  keyspaces.set(store, keyspace);
}

/** The keyspace of a `RedisSessionStore`, or undefined for any other object. */
export function sessionKeyspaceOf(store: object): SessionKeyspace | undefined {
  return keyspaces.get(store);
}
