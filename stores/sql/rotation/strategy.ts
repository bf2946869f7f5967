/**
 * How a refresh-token store rotates, one strategy per database behind one interface: the
 * deciding UPDATE, the successor and the session advance in one atomic step, and what the
 * winner or a loser read back. The store turns the outcome into a `StoreRotation`.
 */
import type { SessionAdvance } from '../../../lib/security/store-contracts';
import type { SqlStatement, SqlStoreContext } from '../dialect';

/** What one `rotate` call asks for. */
export interface RotationPlan {
  oldJti: string;
  newJti: string;
  /** Whole seconds the successor lives. */
  ttl: number;
  /** Epoch seconds of the rotation (the grace bookkeeping) and the successor's issue time. */
  at: number;
  userId: string;
  /** The session of `family` to advance in the same step (only with a linked session store). */
  advance: { family: string; update: SessionAdvance } | undefined;
}

/** What a rotation read: the winner's family and session, or the retired row for a loser. */
export type RotationOutcome =
  | { won: true; familyId: string; session: Record<string, unknown> | null }
  | { won: false; retired: Record<string, unknown> | undefined };

/** One store's way of rotating. */
export interface RotationStrategy {
  /** Past `deadline` (epoch ms) the rotation rolls back instead of committing. */
  rotate(plan: RotationPlan, deadline: number | undefined): Promise<RotationOutcome>;
}

/** What a rotation works on: the store's, and the sessions table it advances. */
export interface RotationContext<Pool> extends SqlStoreContext<Pool> {
  /** The sessions table a rotation advances (of the linked session store), if any. */
  sessionTable: string | undefined;
}

/** The retired row as a caller that did not win reads it (last statement of a rotation). */
export function retiredRow(context: RotationContext<unknown>, plan: RotationPlan): SqlStatement {
  const t = context.tables.refresh;
  const now = context.dialect.now;
  return {
    sql: `SELECT o.family_id, o.state, o.successor_jti, o.rotated_at, n.state AS successor_state
        FROM ${t} o LEFT JOIN ${t} n ON n.jti = o.successor_jti AND n.expires_at > ${now}
        WHERE o.jti = ? AND o.user_id = ? AND o.expires_at > ${now}`,
    values: [plan.oldJti, plan.userId],
  };
}
