/**
 * PostgreSQL's rotation: the deciding UPDATE, the successor's INSERT and the session's UPDATE
 * in one statement (data-modifying CTEs), which returns a row only to the winner, then the
 * retired row for a loser; sent with BEGIN as one simple query, then COMMIT: two round trips.
 */
import type { SqlStatement } from '../dialect';
import { pgBatch, type PgPoolLike } from '../postgres/driver';
import { advanceAssignments, advanceValues } from '../session-rows';
import {
  retiredRow,
  type RotationContext,
  type RotationPlan,
  type RotationStrategy,
} from './strategy';

export function postgresRotation(context: RotationContext<PgPoolLike>): RotationStrategy {
  return {
    async rotate(plan, deadline) {
      const statements = [rotationStatement(context, plan), retiredRow(context, plan)];
      const [rotation, retired] = await pgBatch(context.pool, statements, deadline);
      const won = rotation!.rows[0];
      if (won === undefined) return { won: false, retired: retired!.rows[0] };
      // row_to_json: an object, or its text when the pool's type parsers leave json alone.
      const session: unknown = won.session;
      return {
        won: true,
        familyId: String(won.rotated_family),
        session: (typeof session === 'string' ? JSON.parse(session) : session) ?? null,
      };
    },
  };
}

function rotationStatement(context: RotationContext<PgPoolLike>, plan: RotationPlan): SqlStatement {
  const t = context.tables.refresh;
  const values: unknown[] = [
    plan.newJti,
    plan.at,
    plan.oldJti,
    plan.userId,
    plan.newJti,
    plan.ttl,
    plan.at,
  ];
  let session = '';
  let sessionColumn = 'NULL AS session';
  if (plan.advance !== undefined && context.sessionTable !== undefined) {
    const st = context.sessionTable;
    session = `, sess AS (
        UPDATE ${st} SET ${advanceAssignments()}
        FROM won WHERE ${st}.user_id = won.user_id AND ${st}.family_id = won.family_id
          AND won.family_id = ? AND ${st}.refresh_expires_at > ?
        RETURNING ${st}.*)`;
    sessionColumn = '(SELECT row_to_json(sess) FROM sess) AS session';
    values.push(...advanceValues(plan.advance.update), plan.advance.family, plan.at);
  }
  return {
    sql: `WITH won AS (
        UPDATE ${t} SET state = 'rotated', successor_jti = ?, rotated_at = ?
        WHERE jti = ? AND user_id = ? AND state = 'active' AND expires_at > now()
        RETURNING user_id, family_id
      ), successor AS (
        INSERT INTO ${t} (jti, user_id, family_id, state, expires_at, issued_at)
        SELECT ?, user_id, family_id, 'active', now() + ? * interval '1 second', ? FROM won
        RETURNING jti
      )${session}
      SELECT won.family_id AS rotated_family, ${sessionColumn} FROM won`,
    values,
  };
}
