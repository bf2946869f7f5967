/**
 * Fixed-window rate-limit counters in one SQL table, on the database's clock: a key's window
 * opens at its first hit and restarts at the first hit after it ended. `hitMany` is one step
 * of the dialect's counter (PostgreSQL: one statement; MySQL: one CALL); expired rows are
 * deleted lazily, at most once a minute, besides a call.
 */
import { createHash } from 'node:crypto';
import type {
  RateLimitCount,
  RateLimitHit,
  RateLimitStore,
  RateLimitUndo,
} from '../../lib/security/store-contracts';
import { takenBack, windowSeconds } from '../rate-limit-fields';
import type { SqlDialect } from './dialect';
import type { KeyHits, RateLimitCounter } from './rate-limit/strategy';
import { RATE_LIMIT_KEY_LENGTH } from './schema';
import { SqlStore, type SqlStoreOptions } from './store-base';

const SWEEP_INTERVAL_MS = 60_000;

export class SqlRateLimitStore<Pool> extends SqlStore<Pool> implements RateLimitStore {
  readonly #counter: RateLimitCounter;
  #nextSweep: number;

  constructor(dialect: SqlDialect<Pool>, options: SqlStoreOptions<Pool>) {
    super(dialect, options);
    this.#counter = dialect.rateLimits({ pool: options.pool, dialect, tables: this.tables });
    this.#nextSweep = this.clock() + SWEEP_INTERVAL_MS;
  }

  async hit(key: string, windowSeconds: number): Promise<RateLimitHit> {
    const [hit] = await this.hitMany([{ key, windowSeconds }]);
    return hit!;
  }

  async hitMany(counts: readonly RateLimitCount[]): Promise<RateLimitHit[]> {
    if (counts.length === 0) return [];
    const stored = counts.map((c) => storedKey(c.key));
    const rows = distinctRows(counts, stored);
    const windows = await this.run(() => this.#counter.hit(rows));
    this.#sweepWhenDue();
    // The i-th time a key appears gets its count as if the hits had come one by one.
    const hits = new Map(rows.map((row) => [row.key, row.hits]));
    const seen = new Map<string, number>();
    return stored.map((key) => {
      const nth = (seen.get(key) ?? 0) + 1;
      seen.set(key, nth);
      const window = windows.get(key)!;
      return { count: window.count - hits.get(key)! + nth, resetInSeconds: window.resetInSeconds };
    });
  }

  /** 'all' deletes the key's row; n takes n hits back, never below 0 (a statement per n). */
  async undo(changes: readonly RateLimitUndo[]): Promise<void> {
    const forgotten = new Set<string>();
    const taken = new Map<string, number>();
    for (const { key, hits } of changes) {
      const k = storedKey(key);
      if (hits === 'all') forgotten.add(k);
      else taken.set(k, (taken.get(k) ?? 0) + takenBack(hits));
    }
    const byHits = new Map<number, string[]>();
    for (const [key, hits] of taken) {
      if (forgotten.has(key) || hits === 0) continue;
      byHits.set(hits, [...(byHits.get(hits) ?? []), key]);
    }
    const t = this.tables.rateLimits;
    const list = (keys: readonly string[]) => keys.map(() => '?').join(', ');
    await this.run(async () => {
      if (forgotten.size > 0) {
        await this.sql(`DELETE FROM ${t} WHERE rl_key IN (${list([...forgotten])})`, [
          ...forgotten,
        ]);
      }
      for (const [hits, keys] of byHits) {
        await this.sql(
          `UPDATE ${t} SET hits = GREATEST(hits - ?, 0)
           WHERE rl_key IN (${list(keys)}) AND expires_at > ${this.dialect.now}`,
          [hits, ...keys],
        );
      }
    });
  }

  /** Delete the rows of windows that have ended; resolves to how many went. */
  purgeExpired(): Promise<number> {
    return this.purgeExpiredRows(this.tables.rateLimits);
  }

  /** Once a minute, the expired rows go, beside the call (its answer does not wait). */
  #sweepWhenDue(): void {
    const now = this.clock();
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_INTERVAL_MS;
    this.purgeExpired().catch(() => undefined); // the next sweep will try again
  }
}

/** The key as stored: itself, or the SHA-256 of one longer than the column. */
function storedKey(key: string): string {
  if (key.length <= RATE_LIMIT_KEY_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * One row per distinct key, with its number of hits and the window of its first hit, sorted
 * by the key's UTF-8 bytes: every call locks rows in that order, so two calls over the same
 * keys never deadlock.
 */
function distinctRows(counts: readonly RateLimitCount[], stored: readonly string[]): KeyHits[] {
  const rows = new Map<string, KeyHits>();
  counts.forEach((count, i) => {
    const key = stored[i]!;
    const row = rows.get(key);
    if (row !== undefined) row.hits += 1;
    else rows.set(key, { key, hits: 1, windowSeconds: windowSeconds(count.windowSeconds) });
  });
  return [...rows.values()].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
}
