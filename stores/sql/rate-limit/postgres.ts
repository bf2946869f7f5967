/**
 * PostgreSQL's counting: one `INSERT … ON CONFLICT … RETURNING` for every key of the call, so
 * one statement and one round trip whatever their number. Each row's upsert is atomic; a
 * window that has ended (database time) restarts at these hits.
 */
import type { SqlStoreContext } from '../dialect';
import type { PgPoolLike } from '../postgres/driver';
import { windowsByKey, type RateLimitCounter } from './strategy';

export function postgresRateLimits(context: SqlStoreContext<PgPoolLike>): RateLimitCounter {
  const sql = context.dialect.run(context.pool);
  const t = context.tables.rateLimits;
  return {
    async hit(rows) {
      const values = rows
        .map(() => `(?::text, ?::bigint, now() + ?::bigint * interval '1 second')`)
        .join(', ');
      const result = await sql(
        `INSERT INTO ${t} AS r (rl_key, hits, expires_at) VALUES ${values}
         ON CONFLICT (rl_key) DO UPDATE SET
           hits = CASE WHEN r.expires_at <= now() THEN EXCLUDED.hits ELSE r.hits + EXCLUDED.hits END,
           expires_at = CASE WHEN r.expires_at <= now() THEN EXCLUDED.expires_at ELSE r.expires_at END
         RETURNING rl_key, hits, CEIL(EXTRACT(EPOCH FROM expires_at - now()))::int AS reset_in`,
        rows.flatMap((row) => [row.key, row.hits, row.windowSeconds]),
      );
      return windowsByKey(result.rows);
    },
  };
}
