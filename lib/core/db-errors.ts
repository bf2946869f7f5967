/**
 * Turn database integrity errors and joi validation errors into the Python SDK's
 * `ResponseError` lists (`parse_integrity_error`, `parse_pydantic_errors`). Structured fields
 * of pg and mysql2 errors are used first, then the Python message patterns.
 */
import type { ResponseError } from './types';

const DUPLICATE = 'Duplicate entry already exists.';
const UNKNOWN = 'Unknown database integrity error';

function responseError(table: string | null, field: string | null, error: string): ResponseError {
  return { table, field_name: field, error };
}

interface PgLikeError {
  code?: unknown;
  detail?: unknown;
  table?: unknown;
  column?: unknown;
  message?: unknown;
}

interface MysqlLikeError {
  code?: unknown;
  errno?: unknown;
  sqlMessage?: unknown;
  message?: unknown;
}

const PG_INTEGRITY = new Set(['23505', '23503', '23502', '23514', '23000']);
const MYSQL_INTEGRITY = new Set([
  'ER_DUP_ENTRY',
  'ER_NO_REFERENCED_ROW_2',
  'ER_NO_REFERENCED_ROW',
  'ER_ROW_IS_REFERENCED_2',
  'ER_BAD_NULL_ERROR',
  'ER_NO_DEFAULT_FOR_FIELD',
]);

/** Whether `err` is a pg or mysql2 integrity-constraint error. */
export function isIntegrityError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const code = (err as PgLikeError).code;
  if (typeof code !== 'string') return (err as { name?: unknown }).name === 'IntegrityError';
  return PG_INTEGRITY.has(code) || MYSQL_INTEGRITY.has(code);
}

function messageOf(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err === null || typeof err !== 'object') return '';
  const { sqlMessage, message, detail } = err as MysqlLikeError & PgLikeError;
  const text =
    typeof sqlMessage === 'string' ? sqlMessage : typeof message === 'string' ? message : '';
  return typeof detail === 'string' && !text.includes(detail)
    ? `${text}\nDETAIL:  ${detail}`
    : text;
}

function fromStructuredPg(err: PgLikeError): ResponseError[] {
  const table = typeof err.table === 'string' ? err.table : null;
  const detail = typeof err.detail === 'string' ? err.detail : '';
  const keyField = /Key \(([^)]+)\)=/.exec(detail)?.[1] ?? null;
  switch (err.code) {
    case '23505':
      return [responseError(null, keyField, DUPLICATE)];
    case '23503': {
      const referenced = /is not present in table "([^"]+)"/.exec(detail)?.[1] ?? table;
      return [
        responseError(
          referenced,
          keyField,
          `Invalid foreign key reference in '${keyField ?? ''}'.`,
        ),
      ];
    }
    case '23502': {
      const column = typeof err.column === 'string' ? err.column : null;
      return [responseError(table, column, `Field '${column ?? ''}' cannot be null.`)];
    }
    default:
      return [];
  }
}

/** Python `parse_integrity_error`: MySQL patterns, then PostgreSQL patterns; they accumulate. */
export function parseIntegrityMessage(message: string): ResponseError[] {
  const errors: ResponseError[] = [];
  let m = /Duplicate entry '(.+)' for key '([^'.]+)\.([^'.]+)'/.exec(message);
  if (m) errors.push(responseError(m[2], m[3], DUPLICATE));
  // MariaDB and MySQL < 8 name the key without its table: "for key 'email'".
  else if ((m = /Duplicate entry '(.+)' for key '([^'.]+)'/.exec(message))) {
    errors.push(responseError(null, m[2], DUPLICATE));
  }
  m = /FOREIGN KEY \(`(.+?)`\) REFERENCES `(.+?)`/.exec(message);
  if (m) errors.push(responseError(m[2], m[1], `Invalid foreign key reference in '${m[1]}'.`));
  m = /Column '(.+?)' cannot be null/.exec(message);
  if (m) errors.push(responseError(null, m[1], `Field '${m[1]}' cannot be null.`));
  m = /Field '(.+?)' doesn't have a default value/.exec(message);
  if (m) errors.push(responseError(null, m[1], `Field '${m[1]}' requires a value.`));
  m =
    /duplicate key value violates unique constraint "[^"]+"\s*\nDETAIL:.*?Key \(([^)]+)\)=\([^)]*\) already exists/is.exec(
      message,
    );
  if (m) errors.push(responseError(null, m[1], DUPLICATE));
  m =
    /on table "[^"]+" violates foreign key constraint "[^"]+"\s*\nDETAIL:.*?Key \(([^)]+)\)=\([^)]*\) is not present in table "([^"]+)"/s.exec(
      message,
    );
  if (m) errors.push(responseError(m[2], m[1], `Invalid foreign key reference in '${m[1]}'.`));
  m = /null value in column "([^"]+)" of relation "([^"]+)" violates not-null constraint/.exec(
    message,
  );
  if (m) errors.push(responseError(m[2], m[1], `Field '${m[1]}' cannot be null.`));
  return errors;
}

/** The field errors of a pg/mysql2 integrity error (or of its message), never empty. */
export function parseIntegrityError(err: unknown): ResponseError[] {
  let errors: ResponseError[] = [];
  if (err !== null && typeof err === 'object' && typeof (err as PgLikeError).code === 'string') {
    const code = (err as PgLikeError).code as string;
    if (PG_INTEGRITY.has(code)) errors = fromStructuredPg(err as PgLikeError);
  }
  if (errors.length === 0) errors = parseIntegrityMessage(messageOf(err));
  return errors.length > 0 ? errors : [responseError(null, null, UNKNOWN)];
}

interface JoiLikeError {
  isJoi?: unknown;
  name?: unknown;
  details?: unknown;
}

/** Whether `err` is a joi `ValidationError`. */
export function isJoiValidationError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as JoiLikeError;
  return e.isJoi === true && e.name === 'ValidationError' && Array.isArray(e.details);
}

/** joi details → `ResponseError`s (field_name = the path joined by '.'). */
export function parseValidationError(err: unknown): ResponseError[] {
  if (!isJoiValidationError(err)) return [responseError(null, null, 'Validation error')];
  const details = (err as { details: Array<{ path?: unknown; message?: unknown }> }).details;
  return details.map((d) =>
    responseError(
      null,
      Array.isArray(d.path) ? d.path.map(String).join('.') : null,
      typeof d.message === 'string' && d.message ? d.message : 'Validation error',
    ),
  );
}
