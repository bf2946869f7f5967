/**
 * `AnyAuthError` is a union discriminated by `code`: comparing `code` narrows to the class, so
 * its own fields (`reason`, `findings`, …) type-check without a cast.
 */
import type {
  ConfigurationError,
  InsufficientScopeError,
  InvalidRequestError,
  NotFoundError,
  InsufficientUserAuthenticationError,
  RateLimitedError,
  StoreUnavailableError,
} from 'auth-sdk-m8';
import { CsrfError } from 'auth-sdk-m8/express';
import {
  AuthError,
  InvalidTokenError,
  isAuthError,
  type AnyAuthError,
  type AuthErrorCode,
  type InvalidTokenReason,
} from 'auth-sdk-m8';
import { expectType, type Equal } from './assert';

export function describeError(err: AnyAuthError): string {
  switch (err.code) {
    case 'invalid_token': {
      expectType<Equal<typeof err, InvalidTokenError>>(true);
      const reason: InvalidTokenReason = err.reason;
      return `${reason} ${err.tokenType}`;
    }
    case 'insufficient_scope':
      expectType<Equal<typeof err, InsufficientScopeError>>(true);
      return err.requiredRole ?? 'none';
    case 'invalid_request':
      expectType<Equal<typeof err, InvalidRequestError>>(true);
      return err.message;
    case 'configuration_error':
      expectType<Equal<typeof err, ConfigurationError>>(true);
      return err.findings.join(', ');
    case 'store_unavailable':
      expectType<Equal<typeof err, StoreUnavailableError>>(true);
      return `${err.store} ${err.retryAfterSeconds}`;
    case 'rate_limited':
      expectType<Equal<typeof err, RateLimitedError>>(true);
      return String(err.retryAfterSeconds);
    case 'not_found':
      expectType<Equal<typeof err, NotFoundError>>(true);
      return err.message;
    case 'insufficient_user_authentication':
      expectType<Equal<typeof err, InsufficientUserAuthenticationError>>(true);
      return String(err.maxAgeSeconds);
    default: {
      // Every code is handled: nothing is left.
      const rest: never = err;
      return rest;
    }
  }
}

export function ifChain(err: AnyAuthError): void {
  if (err.code === 'invalid_token') {
    expectType<Equal<typeof err, InvalidTokenError>>(true);
    expectType<Equal<typeof err.code, 'invalid_token'>>(true);
  } else {
    expectType<
      Equal<
        typeof err,
        | InsufficientScopeError
        | InvalidRequestError
        | ConfigurationError
        | StoreUnavailableError
        | RateLimitedError
        | NotFoundError
        | InsufficientUserAuthenticationError
      >
    >(true);
    // @ts-expect-error `reason` exists on InvalidTokenError only, which is excluded here.
    void err.reason;
  }
}

export function fromUnknown(value: unknown): void {
  if (isAuthError(value)) {
    // The base class only knows the code set, so comparing it does not narrow the class …
    expectType<Equal<typeof value.code, AuthErrorCode>>(true);
    if (value.code === 'invalid_token') {
      // @ts-expect-error … and `reason` is not reachable without the union.
      void value.reason;
    }
    // … while the union does.
    const err = value as AnyAuthError;
    if (err.code === 'invalid_token')
      expectType<Equal<typeof err.reason, InvalidTokenReason>>(true);
  }
  // `instanceof` a concrete class is the sound narrowing.
  if (value instanceof InvalidTokenError) {
    expectType<Equal<typeof value.reason, InvalidTokenReason>>(true);
  }
}

// Why `isAuthError` narrows to `AuthError`, not to `AnyAuthError`: its runtime check is
// `instanceof AuthError`, which other subclasses pass too — this package's own `CsrfError`
// (code `invalid_request`, 403) and any an application writes, e.g. one with code
// `invalid_token` and no `reason`. Narrowing them to the union would type fields they lack.
expectType<Equal<CsrfError extends AnyAuthError ? true : false, false>>(true);
export const csrfIsAnAuthError: AuthError = new CsrfError();
export class AppTokenError extends AuthError {
  constructor() {
    super('invalid_token', 'Token from the wrong tenant', { status: 401 });
  }
}
expectType<Equal<AppTokenError extends AnyAuthError ? true : false, false>>(true);

// Each class's `code` is its literal, and still an `AuthErrorCode` of an `AuthError`.
expectType<Equal<InvalidTokenError['code'], 'invalid_token'>>(true);
expectType<Equal<StoreUnavailableError['code'], 'store_unavailable'>>(true);
expectType<Equal<AuthError['code'], AuthErrorCode>>(true);
export const asBase: AuthError = new InvalidTokenError('Invalid access token', 'invalid');

// @ts-expect-error an unknown reason is refused.
export const badReason = new InvalidTokenError('x', 'stolen');
