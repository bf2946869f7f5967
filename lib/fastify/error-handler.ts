import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse, type ErrorResponseOptions } from '../core/error-response';

/** Fastify's body errors, as the body-parser shapes `toErrorResponse` answers for every adapter. */
const BODY_ERRORS: Readonly<Record<string, { type: string; status: number }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { type: 'unsupported.media.type', status: 415 },
  FST_ERR_CTP_BODY_TOO_LARGE: { type: 'entity.too.large', status: 413 },
  FST_ERR_CTP_INVALID_JSON_BODY: { type: 'entity.parse.failed', status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { type: 'entity.parse.failed', status: 400 },
};

interface SchemaError {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: unknown };
}

/**
 * The Fastify error handler answering every error with the Python `ResponseErrorBase` JSON
 * body and the real status (`toErrorResponse`, the mapping of every adapter): auth errors →
 * 400/401/403/404/429/503 with their `WWW-Authenticate` challenge and `Retry-After`; a body
 * that is not JSON → 415, too large → 413, malformed → 400; a route schema's validation →
 * 400 "Validation error." naming the fields; anything else → 500 "An unexpected error
 * occurred." (logged, never echoed). Logs to `logger`, else to the request's logger.
 *
 * `authPlugin` sets it on its own routes; set it on yours: `app.setErrorHandler(authErrorHandler())`.
 */
export function authErrorHandler(options: ErrorResponseOptions = {}) {
  return function authErrorHandler(
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply {
    const response = toErrorResponse(asPackageError(error), {
      realm: options.realm,
      logger: options.logger ?? request.log,
    });
    return reply
      .code(response.status)
      .headers(response.headers)
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(response.body);
  };
}

/** Fastify's own errors in the shapes the shared mapping knows; any other error unchanged. */
function asPackageError(error: FastifyError): unknown {
  const body = typeof error.code === 'string' ? BODY_ERRORS[error.code] : undefined;
  if (body !== undefined) return Object.assign(new Error(error.message), body);
  if (error.code === 'FST_ERR_VALIDATION' && Array.isArray(error.validation)) {
    return joiShaped(error.validation as SchemaError[]);
  }
  return error;
}

/** A route schema's findings as a joi `ValidationError` (field path and message per finding). */
function joiShaped(findings: readonly SchemaError[]): unknown {
  const details = findings.map((finding) => {
    const path = (finding.instancePath ?? '').split('/').filter((part) => part !== '');
    const missing = finding.params?.missingProperty;
    if (typeof missing === 'string') path.push(missing);
    return { path, message: finding.message ?? 'is invalid' };
  });
  return Object.assign(new Error('Validation error'), {
    isJoi: true,
    name: 'ValidationError',
    details,
  });
}
