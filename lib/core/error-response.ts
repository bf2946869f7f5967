/**
 * One mapping from any thrown value to an HTTP answer, shared by the Express error handler,
 * `BaseController`, the Passport strategy and the Koa bridge, so every framework returns the
 * same status, headers and body for the same failure.
 *
 * The body is the Python `ResponseErrorBase`. Unlike the Python `BaseController` (which always
 * answered HTTP 500), the HTTP status is the real one. Nothing from the request, no token, no
 * secret, no stack and no file path is ever copied into a response: unexpected errors are
 * logged and answered with a fixed message.
 */
import { STATUS_CODES } from 'node:http';
import {
  isIntegrityError,
  isJoiValidationError,
  parseIntegrityError,
  parseValidationError,
} from './db-errors';
import {
  AuthError,
  DEFAULT_REALM,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidRequestError,
  InvalidTokenError,
  StoreUnavailableError,
  bearerChallenge,
} from './errors';
import type { Logger, ResponseError, ResponseErrorBase } from './types';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ResponseErrorBase;
}

export interface ErrorResponseOptions {
  /** Realm of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string | undefined;
  /** Where unexpected (500) errors and outages are logged. Default: nothing is logged. */
  logger?: Logger | undefined;
}

/** Fixed client-facing messages (the Python wording where Python had one). */
export const ResponseMessages = Object.freeze({
  UNEXPECTED: 'An unexpected error occurred.',
  VALIDATION: 'Validation error.',
  INTEGRITY: 'Database integrity error: Possibly duplicate entry or invalid reference.',
  UNAVAILABLE: 'Service temporarily unavailable. Retry later.',
  MALFORMED_BODY: 'Malformed request body.',
  BODY_TOO_LARGE: 'Request body too large.',
  BAD_REQUEST: 'Bad request.',
});

/** Map any thrown value to `{ status, headers, body }`. Never throws. */
export function toErrorResponse(err: unknown, options: ErrorResponseOptions = {}): ErrorResponse {
  const realm = options.realm ?? DEFAULT_REALM;

  if (err instanceof AuthError) return fromAuthError(withRealm(err, realm), options.logger);

  if (isJoiValidationError(err)) {
    return respond(
      400,
      {},
      ResponseMessages.VALIDATION,
      'ValidationError',
      parseValidationError(err),
    );
  }
  if (isIntegrityError(err)) {
    return respond(400, {}, ResponseMessages.INTEGRITY, 'IntegrityError', parseIntegrityError(err));
  }
  const bodyError = fromBodyParserError(err);
  if (bodyError) return bodyError;

  options.logger?.error(`Unexpected error while handling a request: ${describe(err)}`);
  return respond(500, {}, ResponseMessages.UNEXPECTED, 'Exception', []);
}

/**
 * The same error with its challenge in `realm`. Errors are built deep in the core with the
 * default realm; adapters configured with another realm re-issue them here.
 */
export function withRealm(err: AuthError, realm: string): AuthError {
  if (realm === DEFAULT_REALM) return err;
  if (err instanceof InvalidTokenError) {
    return new InvalidTokenError(err.message, err.reason, err.tokenType, {
      cause: err.cause,
      realm,
      detail: err.detail,
    });
  }
  if (err instanceof InsufficientScopeError) {
    return new InsufficientScopeError(err.message, err.requiredRole, realm);
  }
  if (err instanceof InvalidRequestError) {
    const challenge = err.headers['WWW-Authenticate'] !== undefined;
    return new InvalidRequestError(err.message, realm, { challenge });
  }
  if (err instanceof InsufficientUserAuthenticationError) {
    return new InsufficientUserAuthenticationError(err.maxAgeSeconds, realm);
  }
  return err;
}

function fromAuthError(err: AuthError, logger: Logger | undefined): ErrorResponse {
  const headers: Record<string, string> = { ...err.headers };
  if (err instanceof StoreUnavailableError) {
    // Operators need the cause; clients only learn to come back later.
    logger?.warn(`Refusing request: ${err.store} unavailable (${err.message})`);
    return respond(503, headers, ResponseMessages.UNAVAILABLE, err.name, [entry(null, err.code)]);
  }
  if (!err.expose || err.status >= 500) {
    logger?.error(`Unexpected error while handling a request: ${describe(err)}`);
    return respond(500, {}, ResponseMessages.UNEXPECTED, 'Exception', []);
  }
  if (
    err.status === 401 &&
    headers['WWW-Authenticate'] === undefined &&
    !(err instanceof InvalidTokenError)
  ) {
    headers['WWW-Authenticate'] = bearerChallenge(DEFAULT_REALM, 'invalid_token');
  }
  const detail = err instanceof InvalidTokenError ? err.reason : err.code;
  return respond(err.status, headers, err.message, err.name, [entry(null, detail)]);
}

/** body-parser / raw-body errors carry `type` and `status` (expressjs/body-parser README). */
function fromBodyParserError(err: unknown): ErrorResponse | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status, statusCode } = err as {
    type?: unknown;
    status?: unknown;
    statusCode?: unknown;
  };
  const code =
    typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : NaN;
  if (type === 'entity.parse.failed') {
    return respond(400, {}, ResponseMessages.MALFORMED_BODY, 'RequestBodyError', []);
  }
  if (type === 'entity.too.large' || (typeof type === 'string' && code === 413)) {
    return respond(413, {}, ResponseMessages.BODY_TOO_LARGE, 'RequestBodyError', []);
  }
  // Other client errors of the HTTP stack (http-errors with a 4xx status): keep the status,
  // send the standard reason phrase — their own message may echo request content.
  if (Number.isInteger(code) && code >= 400 && code < 500) {
    const phrase = STATUS_CODES[code];
    const msg = phrase ? `${phrase}.` : ResponseMessages.BAD_REQUEST;
    return respond(code, {}, msg, 'RequestError', []);
  }
  return undefined;
}

function respond(
  status: number,
  headers: Record<string, string>,
  msg: string,
  fromError: string,
  errors: ResponseError[],
): ErrorResponse {
  return {
    status,
    headers,
    body: { success: false, msg, from_error: fromError, errors, status_code: status },
  };
}

function entry(field: string | null, error: string): ResponseError {
  return { table: null, field_name: field, error };
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return typeof err === 'string' ? err : Object.prototype.toString.call(err);
}
