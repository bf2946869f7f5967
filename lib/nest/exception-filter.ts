/**
 * `AuthExceptionFilter`: the package's errors answer as every other adapter answers them (the
 * Python body with the real status, `WWW-Authenticate`, `Retry-After`), where Nest would send
 * a 500. Nest's own `HttpException`s (the app's, Nest's 404, the platform's body errors) are
 * left to Nest's handling, with one exception: the bare 401 `@nestjs/passport`'s `AuthGuard`
 * throws when the package's strategy failed is answered with the strategy's real verdict.
 */
import {
  Catch,
  HttpException,
  Inject,
  Logger as NestLogger,
  Optional,
  UnauthorizedException,
  type ArgumentsHost,
  type HttpServer,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { toErrorResponse, type ErrorResponseOptions } from '../core/error-response';
import type { Logger } from '../core/types';
import { stashedAuthFailure } from '../security/http/failure-stash';
import { replyError, type NestRequest } from './http';
import { AUTH_OPTIONS } from './tokens';

export interface AuthExceptionFilterOptions {
  /** Realm of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string | undefined;
  /** Where unexpected errors (answered 500 without details) and outages are logged. Default: Nest's `Logger`. */
  logger?: Logger | undefined;
}

/**
 * Catches everything on HTTP routes: `AuthError`s, joi validation and SQL integrity errors, body
 * errors and unexpected errors go through `toErrorResponse` (an unexpected error is logged and
 * answered 500 "An unexpected error occurred."); `HttpException`s go to Nest's `BaseExceptionFilter`.
 * `AuthModule` registers it globally; by hand:
 * `app.useGlobalFilters(new AuthExceptionFilter({}, app.getHttpAdapter()))`.
 */
export class AuthExceptionFilter extends BaseExceptionFilter {
  private readonly errorOptions: ErrorResponseOptions;

  constructor(options?: AuthExceptionFilterOptions | null, applicationRef?: HttpServer) {
    super(applicationRef);
    this.errorOptions = {
      realm: options?.realm,
      logger: options?.logger ?? new NestLogger('AuthExceptionFilter'),
    };
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      super.catch(exception, host);
      return;
    }
    const http = host.switchToHttp();
    const err = passportVerdict(http.getRequest<NestRequest>(), exception);
    if (err instanceof HttpException) {
      super.catch(err, host);
      return;
    }
    const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    const response = http.getResponse<unknown>();
    if (adapter === undefined) throw err; // not reachable through Nest: it injects the adapter
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    replyError(adapter, response, toErrorResponse(err, this.errorOptions));
  }
}

/**
 * `@nestjs/passport`'s `AuthGuard` turns every Passport `fail()` into a bare
 * `UnauthorizedException()`; the package's strategy left its real error on the request. Only
 * that bare stand-in is replaced: an app's own `UnauthorizedException('…')` stays the app's.
 */
function passportVerdict(request: NestRequest | undefined, exception: unknown): unknown {
  if (!(exception instanceof UnauthorizedException) || request == null) return exception;
  const standIn = exception.getResponse();
  const bare =
    typeof standIn === 'object' &&
    standIn !== null &&
    (standIn as { message?: unknown }).message === 'Unauthorized';
  return bare ? (stashedAuthFailure(request) ?? exception) : exception;
}

Catch()(AuthExceptionFilter);
Optional()(AuthExceptionFilter, undefined, 0);
Inject(AUTH_OPTIONS)(AuthExceptionFilter, undefined, 0);
