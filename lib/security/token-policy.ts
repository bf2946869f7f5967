/**
 * `TokenPolicy`: access-token validation plus the revocation check (Python `TokenPolicy`),
 * with what 0.6.10 lacked: `TOKEN_MODE`, a failure mode for store outages (timeouts and a
 * circuit breaker included) and a way to revoke.
 */
import { ConfigurationError, InvalidTokenError, Messages } from '../core/errors';
import { effectiveFailureMode } from '../core/settings/failure-mode';
import type { AuthSettings, TokenMode } from '../core/settings/types';
import type { Logger, TokenUserData } from '../core/types';
import { buildAccessValidator } from './build-access-validator';
import {
  assertFailureMode,
  guardStore,
  type GuardedStore,
  type StoreFailureOptions,
} from './store-guard';
import { callHook } from './hooks';
import type { RevocationStore } from './store-contracts';
import { traceLocalRevocation, traceRevocationCheck } from './tracing';
import type { AccessTokenValidator } from './token-validator';
import type { FailureMode } from '../core/failure-mode';
import type { ValidationHooks } from './types';

export interface TokenPolicyOptions extends StoreFailureOptions {
  validator: AccessTokenValidator;
  /** The JTI blacklist. Without one, `validate` is the validator alone (as in Python). */
  revocationStore?: RevocationStore | undefined;
  /**
   * When the store cannot answer: `fail_open` accepts the token unchecked, `fail_closed`
   * (default) answers 503. Env: `ACCESS_REVOCATION_FAILURE_MODE` (`AUTH_STRICT_MODE` forces closed).
   */
  failureMode?: FailureMode | undefined;
  /**
   * Env `TOKEN_MODE` (default `stateful`): `stateful` checks every access token against the
   * store; `stateless` and `hybrid` never do (hybrid keeps state for refresh tokens only).
   */
  tokenMode?: TokenMode | undefined;
  /**
   * How long past `exp` a revocation is kept, in seconds (default 5, the default access leeway),
   * so a revoked token cannot slip through during a validator's leeway.
   */
  revocationGraceSeconds?: number | undefined;
}

const TOKEN_MODES: readonly TokenMode[] = ['stateless', 'stateful', 'hybrid'];

/** Options of `TokenPolicy.fromSettings` (everything else comes from the settings). */
export type TokenPolicyFromSettingsOptions = {
  [K in keyof Omit<TokenPolicyOptions, 'failureMode' | 'tokenMode'>]?:
    TokenPolicyOptions[K] | undefined;
};

export class TokenPolicy {
  readonly validator: AccessTokenValidator;
  readonly revocationStore: RevocationStore | undefined;
  readonly tokenMode: TokenMode;
  readonly failureMode: FailureMode;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;
  readonly #revocations: GuardedStore<RevocationStore> | undefined;
  /** True when `validate` consults the store (stateful mode with a store). */
  readonly checksRevocation: boolean;
  readonly #graceSeconds: number;
  readonly #clock: () => number;

  constructor(options: TokenPolicyOptions) {
    if (typeof options?.validator?.validateAccessToken !== 'function') {
      throw new ConfigurationError(
        'TokenPolicy: `validator` with validateAccessToken() is required',
      );
    }
    const tokenMode = options.tokenMode ?? 'stateful';
    if (!TOKEN_MODES.includes(tokenMode)) {
      throw new ConfigurationError(
        `TokenPolicy: tokenMode must be one of ${TOKEN_MODES.join(', ')}, got ${JSON.stringify(tokenMode)}`,
      );
    }
    const grace = options.revocationGraceSeconds ?? 5;
    if (!Number.isFinite(grace) || grace < 0) {
      throw new ConfigurationError(
        `TokenPolicy: revocationGraceSeconds must be a number ≥ 0, got ${String(grace)}`,
      );
    }
    this.validator = options.validator;
    this.revocationStore = options.revocationStore;
    this.tokenMode = tokenMode;
    this.failureMode = assertFailureMode(options.failureMode ?? 'fail_closed');
    this.#hooks = options.hooks;
    this.#logger = options.logger ?? console;
    this.#graceSeconds = grace;
    this.#clock = options.clock ?? Date.now;
    this.#revocations = guardStore('access_revocation', options.revocationStore, {
      ...options,
      failureMode: this.failureMode,
      logger: this.#logger,
    });
    this.checksRevocation = this.#revocations !== undefined && tokenMode === 'stateful';
  }

  /**
   * A policy configured like the Python services: the validator from `buildAccessValidator`
   * (unless given), `TOKEN_MODE`, and `ACCESS_REVOCATION_FAILURE_MODE` through
   * `effectiveFailureMode` (`AUTH_STRICT_MODE` forces fail_closed). `TOKEN_MODE=stateful`
   * (the default) without a `revocationStore` is a `ConfigurationError`, as the Python health
   * check makes it fatal: revocation would silently be off.
   */
  static fromSettings(
    settings: AuthSettings,
    options: TokenPolicyFromSettingsOptions = {},
  ): TokenPolicy {
    if (settings.TOKEN_MODE === 'stateful' && options.revocationStore === undefined) {
      throw new ConfigurationError(
        'TOKEN_MODE=stateful needs a revocation store: pass revocationStore (e.g. a Redis store), or set TOKEN_MODE=stateless (or hybrid) to accept access tokens without a revocation check.',
      );
    }
    return new TokenPolicy({
      ...options,
      validator: options.validator ?? buildAccessValidator(settings, { hooks: options.hooks }),
      tokenMode: settings.TOKEN_MODE,
      failureMode: effectiveFailureMode(settings, 'access_revocation'),
    });
  }

  /**
   * Validates an access token, then (stateful mode) checks that its `jti` is not revoked.
   * Rejects with `InvalidTokenError` (401; reason `revoked`: "Token revoked") or, when the
   * store cannot answer under `fail_closed`, `StoreUnavailableError` (503).
   */
  async validate(token: string): Promise<TokenUserData> {
    const claims = await this.validator.validateAccessToken(token);
    const revocations = this.#revocations;
    if (!this.checksRevocation || revocations === undefined) return claims;
    // A local exact answer needs no I/O, hence no timeout or breaker. Otherwise fail_open: an
    // outage lets the token through unchecked (reported degraded).
    const revoked =
      traceLocalRevocation(revocations.store.isRevokedLocally?.(claims.jti)) ??
      (await traceRevocationCheck(() =>
        revocations.attempt((store) => store.isRevoked(claims.jti), false),
      ));
    if (revoked) {
      callHook(this.#hooks, 'onFailure', { reason: 'revoked', tokenType: 'access' }, this.#logger);
      throw new InvalidTokenError(Messages.ACCESS_REVOKED, 'revoked', 'access');
    }
    return claims;
  }

  /**
   * Revokes an access token for the rest of its life (+ `revocationGraceSeconds`). Pass the
   * validated claims, or a `jti` with its `exp` (epoch seconds). A token already past that
   * point needs nothing and the store is not called. Without a store this is a no-op (as the
   * Python refresh `revoke`). Store outages reject with `StoreUnavailableError` regardless of
   * the failure mode: a logout must not pretend to succeed.
   */
  async revoke(
    claimsOrJti: string | { jti: string; exp?: number | null },
    expSeconds?: number,
  ): Promise<void> {
    const jti = typeof claimsOrJti === 'string' ? claimsOrJti : claimsOrJti?.jti;
    const exp = expSeconds ?? (typeof claimsOrJti === 'string' ? undefined : claimsOrJti.exp);
    if (typeof jti !== 'string' || jti === '') {
      throw new TypeError('TokenPolicy.revoke: a non-empty jti is required');
    }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw new TypeError(
        'TokenPolicy.revoke: the token has no exp; pass its expiry (epoch seconds) as expSeconds',
      );
    }
    const ttlSeconds = Math.ceil(exp + this.#graceSeconds - this.#clock() / 1000);
    if (ttlSeconds <= 0) return;
    await this.#revocations?.call((store) => store.revoke(jti, ttlSeconds));
  }
}
