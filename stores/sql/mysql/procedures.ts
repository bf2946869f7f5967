/**
 * What the stored procedures of the MySQL stores share: one declared parameter list per
 * procedure (name, type and the value a CALL gives it, so CREATE PROCEDURE and CALL cannot
 * disagree on the order), and how a CALL says the procedure cannot be used.
 */
import type { ColumnTypes, SqlResult } from '../dialect';
import { mysqlCall, type MysqlPoolLike } from './driver';

/** One parameter of a procedure: its name, its type and the value a CALL gives it. */
export interface ProcedureParameter<Call> {
  name: string;
  type: (types: ColumnTypes) => string;
  value: (call: Call) => unknown;
}

/**
 * Where a procedure's transaction starts (after its DECLAREs): any error rolls it back before
 * it reaches the caller, so a pooled connection never stays inside a transaction.
 */
export const TRANSACTION_START = `DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;`;

/** `IN p_a TYPE, …` of CREATE PROCEDURE, in the list's order. */
export function parameterDeclarations<Call>(
  parameters: ReadonlyArray<ProcedureParameter<Call>>,
  types: ColumnTypes,
): string {
  return parameters.map((p) => `IN ${p.name} ${p.type(types)}`).join(',\n  ');
}

/** `CALL procedure(…)` with the list's values for `call`; the rows of each result set. */
export function callProcedure<Call>(
  pool: MysqlPoolLike,
  procedure: string,
  parameters: ReadonlyArray<ProcedureParameter<Call>>,
  call: Call,
): Promise<SqlResult['rows'][]> {
  return mysqlCall(
    pool,
    procedure,
    parameters.map((p) => p.value(call)),
  );
}

const ER_SP_DOES_NOT_EXIST = 1305;
const ER_PROCACCESS_DENIED_ERROR = 1370;

/**
 * The procedure is missing (tables from the shipped .sql without it) or not executable (a
 * DML-only account): the store then uses its statements instead, for the rest of its life.
 */
export function procedureUnavailable(err: unknown): boolean {
  const { errno } = err as { errno?: unknown };
  return errno === ER_SP_DOES_NOT_EXIST || errno === ER_PROCACCESS_DENIED_ERROR;
}
