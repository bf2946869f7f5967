/**
 * MySQL/MariaDB's rotation: one CALL of the stored procedure `<prefix>rotate_v2` (one round
 * trip), which learns the server's clock to pass the caller's deadline on it; without the
 * procedure, the same steps as a batch of statements, one round trip each.
 */
import type { SqlResult, SqlStatement } from '../dialect';
import { mysqlBatch, type MysqlPoolLike } from '../mysql/driver';
import { callProcedure, procedureUnavailable } from '../mysql/procedures';
import { advanceAssignments, advanceValues } from '../session-rows';
import { ROTATE_PARAMETERS } from './mysql-procedure';
import {
  retiredRow,
  type RotationContext,
  type RotationOutcome,
  type RotationPlan,
  type RotationStrategy,
} from './strategy';

/** The error number of the procedure's SIGNAL (the caller stopped waiting). */
const ER_SIGNAL_EXCEPTION = 1644;

const ABANDONED = 'rotation abandoned: the caller stopped waiting';

export function mysqlRotation(context: RotationContext<MysqlPoolLike>): RotationStrategy {
  return new MysqlRotation(context);
}

class MysqlRotation implements RotationStrategy {
  /** CALL the rotation procedure (until one finds it missing or not executable). */
  #procedure: boolean;
  /** The server's clock minus ours (ms) as a CALL measured it, ± error, and when. */
  #serverClock: { offset: number; error: number; at: number } | undefined;

  constructor(private readonly context: RotationContext<MysqlPoolLike>) {
    // The procedure advances the sessions table of its own prefix only.
    this.#procedure =
      context.sessionTable === undefined || context.sessionTable === context.tables.sessions;
  }

  async rotate(plan: RotationPlan, deadline: number | undefined): Promise<RotationOutcome> {
    const called = this.#procedure ? await this.#called(plan, deadline) : undefined;
    return called ?? this.#batched(plan, deadline);
  }

  /**
   * The rotation as one CALL. Resolves to undefined when the procedure is missing or not
   * executable (tables from the shipped .sql without it, a DML-only account): the store then
   * uses the batch for the rest of its life.
   */
  async #called(
    plan: RotationPlan,
    deadline: number | undefined,
  ): Promise<RotationOutcome | undefined> {
    const sent = Date.now();
    const budgetMs = deadline === undefined ? null : deadline - sent;
    if (budgetMs !== null && budgetMs <= 0) throw new Error(ABANDONED);
    const call = { plan, budgetMs, serverDeadlineMs: this.#serverDeadline(deadline) };
    let sets: SqlResult['rows'][];
    try {
      const { pool, tables } = this.context;
      sets = await callProcedure(pool, tables.rotate, ROTATE_PARAMETERS, call);
    } catch (err) {
      const { errno, message } = err as { errno?: unknown; message?: unknown };
      if (errno === ER_SIGNAL_EXCEPTION) {
        this.#learnServerClock(/server_ms (\d+)/.exec(String(message))?.[1], sent, Date.now());
      }
      if (!procedureUnavailable(err)) throw err;
      this.#procedure = false;
      return undefined;
    }
    const row = sets[0]?.[0];
    this.#learnServerClock(row?.server_ms, sent, Date.now());
    if (row === undefined || Number(row.won) !== 1) return { won: false, retired: row };
    return wonOutcome(row);
  }

  /**
   * The caller's deadline on the server's clock: a CALL that waited in a hung server's socket
   * starts late, which only the server's clock can tell. Until a CALL has measured the
   * server's clock, the clocks are taken to agree (a server ahead by more than the budget then
   * abandons one rotation, whose answer measures it).
   */
  #serverDeadline(deadline: number | undefined): number | null {
    return deadline === undefined ? null : Math.round(deadline + (this.#serverClock?.offset ?? 0));
  }

  /**
   * The server's clock minus ours from a CALL's `server_ms`, read just before the server
   * answered: within the round trip (a tighter measure replaces it, any after a minute, since
   * clocks get stepped). It errs towards a server behind, so towards abandoning early.
   */
  #learnServerClock(serverMs: unknown, sent: number, received: number): void {
    if (serverMs === null || serverMs === undefined) return;
    const error = received - sent;
    const known = this.#serverClock;
    if (known !== undefined && error > known.error && received - known.at < 60_000) return;
    this.#serverClock = { offset: Number(serverMs) - received, error, at: received };
  }

  /** The rotation as statements in one transaction, for a server without the procedure. */
  async #batched(plan: RotationPlan, deadline: number | undefined): Promise<RotationOutcome> {
    const results = await mysqlBatch(this.context.pool, this.#statements(plan), deadline);
    const retired = results.at(-1)!.rows[0];
    const won = results[0]!.affected === 1 ? results.at(-2)!.rows[0] : undefined;
    if (won === undefined) return { won: false, retired };
    return wonOutcome(won);
  }

  /**
   * The deciding UPDATE (the winner is who changed a row); the successor and the session,
   * written only when this call retired the row; the read-back of both; the retired row.
   */
  #statements(plan: RotationPlan): SqlStatement[] {
    const { dialect, tables } = this.context;
    const t = tables.refresh;
    // Matches the retired row only when this call retired it (its successor is `newJti`).
    const mine = `o.jti = ? AND o.user_id = ? AND o.state = 'rotated' AND o.successor_jti = ? AND o.rotated_at = ?`;
    const mineValues = [plan.oldJti, plan.userId, plan.newJti, plan.at];
    const statements: SqlStatement[] = [
      {
        sql: `UPDATE ${t} SET state = 'rotated', successor_jti = ?, rotated_at = ?
          WHERE jti = ? AND user_id = ? AND state = 'active' AND expires_at > ${dialect.now}`,
        values: [plan.newJti, plan.at, plan.oldJti, plan.userId],
      },
      {
        sql: `INSERT INTO ${t} (jti, user_id, family_id, state, expires_at, issued_at)
          SELECT ?, o.user_id, o.family_id, 'active', ${dialect.nowPlus('?')}, ? FROM ${t} o WHERE ${mine}`,
        values: [plan.newJti, plan.ttl, plan.at, ...mineValues],
      },
    ];
    const st = this.context.sessionTable;
    if (plan.advance === undefined || st === undefined) {
      statements.push({
        sql: `SELECT o.family_id AS rotated_family FROM ${t} o WHERE ${mine}`,
        values: mineValues,
      });
    } else {
      statements.push(
        {
          sql: `UPDATE ${st} s JOIN ${t} o ON ${mine}
              AND s.user_id = o.user_id AND s.family_id = o.family_id
            SET ${advanceAssignments('s')}
            WHERE o.family_id = ? AND s.refresh_expires_at > ?`,
          values: [
            ...mineValues,
            ...advanceValues(plan.advance.update),
            plan.advance.family,
            plan.at,
          ],
        },
        {
          sql: `SELECT o.family_id AS rotated_family, s.* FROM ${t} o
            LEFT JOIN ${st} s ON s.user_id = o.user_id AND s.family_id = o.family_id
              AND s.refresh_expires_at > ?
            WHERE ${mine}`,
          values: [plan.at, ...mineValues],
        },
      );
    }
    statements.push(retiredRow(this.context, plan));
    return statements;
  }
}

/** The winner's outcome from its read-back row: the family, and the session it advanced. */
function wonOutcome(row: SqlResult['rows'][number]): RotationOutcome {
  return { won: true, familyId: String(row.rotated_family), session: row.id == null ? null : row };
}
