import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { toErrorResponse } from '../core/error-response';
import type { Logger } from '../core/types';
import { unstashAuthFailure } from '../security/http/failure-stash';
import { sendErrorResponse } from '../security/http/respond';

export interface ErrorHandlerOptions {
  /** Realm of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string | undefined;
  /** Where unexpected errors (answered 500 without details) and outages are logged. */
  logger?: Logger | undefined;
}

/**
 * Express error middleware answering every error with the Python `ResponseErrorBase` JSON body
 * and the real HTTP status: auth errors → 400/401/403/503 with their challenge and
 * `Retry-After`; joi validation → 400; SQL integrity errors → 400; malformed or oversized
 * bodies → 400/413; anything else → 500 "An unexpected error occurred." (logged, never echoed).
 *
 * @example app.use(errorHandler({ logger: console })) // after the routes
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  return function authErrorHandler(
    err: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if (res.headersSent) {
      // Too late to answer: let the framework close the connection.
      next(err);
      return;
    }
    sendErrorResponse(res, toErrorResponse(unstashAuthFailure(req, err), options));
  };
}
