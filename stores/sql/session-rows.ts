/** A sessions table's columns and how one of its rows reads as a `SessionRecord`. */
import type { SessionAdvance, SessionRecord } from '../../lib/security/store-contracts';

/** Each column of a session row and the record's field it holds, in the table's order. */
const SESSION_FIELDS = [
  ['id', 'id'],
  ['user_id', 'userId'],
  ['family_id', 'familyId'],
  ['provider', 'provider'],
  ['access_jti', 'accessJti'],
  ['access_expires_at', 'accessExpiresAt'],
  ['refresh_token_hash', 'refreshTokenHash'],
  ['refresh_expires_at', 'refreshExpiresAt'],
  ['created_at', 'createdAt'],
  ['last_used_at', 'lastUsedAt'],
  ['user_agent', 'userAgent'],
  ['ip', 'ip'],
] as const satisfies ReadonlyArray<readonly [column: string, field: keyof SessionRecord]>;

export const SESSION_COLUMNS: readonly string[] = SESSION_FIELDS.map(([column]) => column);

/** The values of `session` in the order of `SESSION_COLUMNS` (an absent field is NULL). */
export function sessionValues(session: SessionRecord): unknown[] {
  return SESSION_FIELDS.map(([, field]) => session[field] ?? null);
}

export function toSession(row: Record<string, unknown>): SessionRecord {
  const session: SessionRecord = {
    id: String(row.id),
    userId: String(row.user_id),
    familyId: String(row.family_id),
    provider: String(row.provider),
    accessJti: String(row.access_jti),
    accessExpiresAt: Number(row.access_expires_at),
    refreshTokenHash: String(row.refresh_token_hash),
    refreshExpiresAt: Number(row.refresh_expires_at),
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
  };
  if (row.user_agent !== null && row.user_agent !== undefined)
    session.userAgent = String(row.user_agent);
  if (row.ip !== null && row.ip !== undefined) session.ip = String(row.ip);
  return session;
}

/** What a session advance sets. */
const ADVANCED_FIELDS: ReadonlyArray<keyof SessionAdvance> = [
  'accessJti',
  'accessExpiresAt',
  'refreshTokenHash',
  'refreshExpiresAt',
  'lastUsedAt',
];

/** `access_jti = ?, …`: the SET list of a session advance (columns of `alias` when given). */
export function advanceAssignments(alias?: string): string {
  const of = alias === undefined ? '' : `${alias}.`;
  const column = (field: keyof SessionAdvance) => SESSION_FIELDS.find(([, f]) => f === field)![0];
  return ADVANCED_FIELDS.map((field) => `${of}${column(field)} = ?`).join(', ');
}

/** The values of `advanceAssignments`, in order. */
export function advanceValues(update: SessionAdvance): unknown[] {
  return ADVANCED_FIELDS.map((field) => update[field]);
}
