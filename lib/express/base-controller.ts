import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../core/error-response';
import type { ErrorResponse, ErrorResponseOptions } from '../core/error-response';
import type { Logger } from '../core/types';
import { sendErrorResponse } from '../security/http/respond';

export interface HandleExceptionOptions {
  /** Undo the unit of work (e.g. `() => client.query('ROLLBACK')`); awaited before answering. */
  rollback?: (() => unknown) | undefined;
}

/**
 * Base for route controllers (Python `BaseController`): `handleException` rolls back the
 * transaction, then answers with the mapped `ResponseErrorBase` and the REAL status (the
 * Python class always sent 500; integrity and validation errors are 400 here).
 */
export class BaseController {
  protected readonly errorOptions: ErrorResponseOptions;

  constructor(options: { realm?: string; logger?: Logger } = {}) {
    this.errorOptions = { ...options };
  }

  /** Roll back (if asked), then write the error response. Resolves to what was sent. */
  async handleException(
    err: unknown,
    res: ServerResponse,
    options: HandleExceptionOptions = {},
  ): Promise<ErrorResponse> {
    if (options.rollback) {
      try {
        await options.rollback();
      } catch (rollbackError) {
        // A failed rollback must not hide the original error from the client or the logs.
        this.errorOptions.logger?.error(`Rollback failed: ${String(rollbackError)}`);
      }
    }
    const response = toErrorResponse(err, this.errorOptions);
    if (!res.headersSent) sendErrorResponse(res, response);
    else res.end();
    return response;
  }
}
