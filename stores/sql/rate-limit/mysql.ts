/**
 * MySQL/MariaDB's counting: one CALL of the stored procedure `<prefix>rate_limit_v1` (one
 * round trip); without the procedure, the multi-row upsert and a read-back of the same rows in
 * one transaction (its row locks keep the read exact).
 */
import type { SqlStoreContext } from '../dialect';
import { mysqlTransaction, type MysqlPoolLike } from '../mysql/driver';
import { callProcedure, procedureUnavailable } from '../mysql/procedures';
import { MYSQL_RESET_IN, mysqlUpsert, RATE_LIMIT_PARAMETERS } from './mysql-procedure';
import { windowsByKey, type KeyHits, type KeyWindow, type RateLimitCounter } from './strategy';

export function mysqlRateLimits(context: SqlStoreContext<MysqlPoolLike>): RateLimitCounter {
  return new MysqlRateLimits(context);
}

class MysqlRateLimits implements RateLimitCounter {
  /** CALL the procedure (until one finds it missing or not executable). */
  #procedure = true;

  constructor(private readonly context: SqlStoreContext<MysqlPoolLike>) {}

  async hit(rows: readonly KeyHits[]): Promise<Map<string, KeyWindow>> {
    if (this.#procedure) {
      try {
        return await this.#called(rows);
      } catch (err) {
        if (!procedureUnavailable(err)) throw err;
        this.#procedure = false;
      }
    }
    return this.#batched(rows);
  }

  async #called(rows: readonly KeyHits[]): Promise<Map<string, KeyWindow>> {
    const { pool, tables } = this.context;
    const sets = await callProcedure(pool, tables.rateLimit, RATE_LIMIT_PARAMETERS, rows);
    const counts = JSON.parse(String(sets[0]?.[0]?.counts)) as Array<[number, number]>;
    return windowsByKey(
      rows.map((row, i) => ({ rl_key: row.key, hits: counts[i]![0], reset_in: counts[i]![1] })),
    );
  }

  #batched(rows: readonly KeyHits[]): Promise<Map<string, KeyWindow>> {
    const t = this.context.tables.rateLimits;
    const keys = rows.map((row) => row.key);
    return mysqlTransaction(this.context.pool, async (sql) => {
      await sql(
        mysqlUpsert(t, rows.map(() => '(?, ?, NOW(3) + INTERVAL ? SECOND)').join(', ')),
        rows.flatMap((row) => [row.key, row.hits, row.windowSeconds]),
      );
      const read = await sql(
        `SELECT rl_key, hits, ${MYSQL_RESET_IN} AS reset_in FROM ${t}
         WHERE rl_key IN (${keys.map(() => '?').join(', ')})`,
        keys,
      );
      return windowsByKey(read.rows);
    });
  }
}
