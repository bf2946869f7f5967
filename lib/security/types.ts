import type { KeyObject } from 'node:crypto';
import type { InvalidTokenReason, TokenType } from '../core/errors';
import type { FailureControl, FailureMode } from '../core/failure-mode';
import type { TokenAlgorithm } from '../core/types';

/**
 * A verification (or signing) key and its algorithm (HS256, RS256 or ES256). `key` is the
 * HS256 secret (string or Buffer), or a PEM string / KeyObject for RS256/ES256. Keys are imported once at
 * construction, never per request.
 */
export interface TokenSecret {
  key: string | Buffer | KeyObject;
  algorithm: TokenAlgorithm;
}

/**
 * Finds the key for a token's `kid` (undefined when the header has none). Throwing an
 * `InvalidTokenError` (or returning undefined) means "no such key" (401); throwing a
 * `StoreUnavailableError` means "cannot decide now" (503 / degradation).
 */
export interface KeyResolver {
  resolve(kid: string | undefined): Promise<TokenSecret | undefined> | TokenSecret | undefined;
}

export interface SuccessEvent {
  jti: string;
  sub: string;
  tokenType: TokenType;
}

export interface FailureEvent {
  reason: InvalidTokenReason;
  tokenType: TokenType;
  /**
   * Why, machine-readable (`InvalidTokenError.detail`: `signature`, `missing_claim:type`, …).
   * For logs and metrics of the server only; never holds a token, a secret or a claim value.
   */
  detail?: string | undefined;
}

/** A decision taken while a store or the key server could not answer. */
export interface DegradedEvent {
  control: FailureControl;
  mode: FailureMode;
  /** e.g. `store_unavailable`, `timeout`, `circuit_open`. */
  reason: string;
  store: string;
}

/**
 * Observability callbacks (Python `ValidationHooks`). They never receive raw tokens or
 * secrets; a hook that throws is logged and ignored — it never changes a verdict.
 */
export interface ValidationHooks {
  onSuccess?: ((event: SuccessEvent) => void) | undefined;
  onFailure?: ((event: FailureEvent) => void) | undefined;
  /** Optional extensions (not in the Python SDK). */
  onDegraded?: ((event: DegradedEvent) => void) | undefined;
  onBreakerStateChange?: ((event: { store: string; open: boolean }) => void) | undefined;
  onJwksFetch?:
    ((event: { result: 'success' | 'failure' | 'stale'; uri: string }) => void) | undefined;
  /** From the auth flows (`authRoutes`, `createAuthFlows`). */
  onLogin?: ((event: { result: LoginResult }) => void) | undefined;
  onLogout?: ((event: { sessions: number }) => void) | undefined;
  /** A limit refused a request: which flow, and which of its limits (`account`, `ip`, `family`). */
  onRateLimited?:
    | ((event: { scope: 'family' | 'ip' | 'account'; flow: 'refresh' | 'login' }) => void)
    | undefined;
}

/** The Python `auth_login_attempts_total{result}` values. */
export type LoginResult = 'success' | 'wrong_credentials' | 'inactive_user' | 'rate_limited';
