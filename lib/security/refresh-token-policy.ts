/**
 * `RefreshTokenPolicy`: refresh-token validation and rotation (Python `RefreshTokenPolicy`),
 * fixed where 0.6.10 was unsafe: rotation is ONE atomic `store.rotate()` (Python checked
 * `is_valid` then rotated — two concurrent refreshes both won), and presenting an
 * already-rotated token revokes its whole family (theft detection). Verification itself is
 * `RefreshTokenVerifier`'s.
 */
import { ConfigurationError, Messages } from '../core/errors';
import type { FailureMode } from '../core/failure-mode';
import { effectiveFailureMode } from '../core/settings/failure-mode';
import type { AuthSettings } from '../core/settings/types';
import type { Logger, RefreshTokenData } from '../core/types';
import { callHook } from './hooks';
import { RefreshTokenVerifier, type RefreshTokenVerifierOptions } from './refresh-token-verifier';
import type {
  RefreshRevocationOptions,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RevokedRefreshToken,
  SessionAdvance,
  SessionRecord,
  StoreRotation,
} from './store-contracts';
import {
  assertFailureMode,
  guardStore,
  type GuardedStore,
  type StoreFailureOptions,
} from './store-guard';
import { traceRotation } from './tracing';
import type { ValidationHooks } from './types';
import { storedUserId } from './user-id';

export { OLD_KEY_WARNING, type RefreshSecret } from './refresh-token-verifier';

export interface RefreshTokenPolicyOptions
  extends StoreFailureOptions, RefreshTokenVerifierOptions {
  /** Allowlist with atomic rotation. Without one the policy validates only (Python stateless). */
  store?: RefreshTokenStore | undefined;
  /**
   * When the store cannot answer: `fail_closed` (default) answers 503; `fail_open` validates
   * the token without rotating it (see `validateAndRotate`). Env `REFRESH_VALIDATION_FAILURE_MODE`.
   */
  failureMode?: FailureMode | undefined;
  /**
   * Env `REFRESH_GRACE_SECONDS` (default 10, 0 turns it off): a rotated token presented again
   * within this many seconds, while its successor is unused, gets that same successor back
   * (two browser tabs, a retry after a lost response) instead of revoking the family.
   */
  graceSeconds?: number | undefined;
}

export interface ValidateAndRotateOptions {
  /** The jti of the refresh token the caller is about to issue. */
  newJti: string;
  /** Lifetime of the new token in the store, in seconds (default 86 400, as Python). */
  ttlSeconds?: number | undefined;
  /**
   * Called after reuse (theft) was detected and the family revoked, before the 401: end what
   * else hangs on the family (its session). A throw is logged; the verdict stays 401.
   */
  onReuse?: ((family: ReusedFamily) => Promise<void> | void) | undefined;
  /**
   * Called with the verified token and the rotation it is about to ask for, before the store
   * is asked (a per-family rate limit, the user lookup); what it throws is the answer, and
   * nothing rotates. What it returns is the session advance of that rotation: a store that
   * keeps sessions with its tokens applies it in the same atomic step (`RefreshRotation.session`).
   */
  beforeRotate?:
    | ((
        token: RefreshTokenData,
        planned: PlannedRotation,
      ) => Promise<SessionAdvance | void> | SessionAdvance | void)
    | undefined;
}

/** A family ended for reuse (theft), as `onReuse` receives it. */
export interface ReusedFamily {
  userId: string;
  familyId: string;
  /**
   * The family's tokens the revocation reached (empty when it failed): the access token
   * issued with each is still valid until blacklisted.
   */
  tokens: RevokedRefreshToken[];
}

/** The rotation `validateAndRotate` is about to ask the store for. */
export interface PlannedRotation {
  /** `newJti`. */
  jti: string;
  /** The rotation time (epoch seconds): a rotation that wins issues its tokens at this time. */
  issuedAt: number;
}

export interface RefreshRotation {
  /** The token's `sub`, a UUID in lower case. */
  userId: string;
  /** The jti of the presented (now retired) token. */
  oldJti: string;
  /**
   * The jti the new refresh token must carry: the `newJti` asked for, or on a replay inside
   * the grace the successor already issued (signing the same claims again gives the same token).
   */
  newJti: string;
  /** Issue the new refresh token at this time (epoch seconds): the rotation's time. */
  issuedAt: number;
  /** True when this was a replay inside the grace: nothing rotated, the successor is re-issued. */
  replayed?: boolean;
  /** The family (from the store, else the token's `fid` claim) — give it to the new token. */
  familyId?: string;
  /**
   * True when the presented token was the Python reference store's (`pythonCompat`): its
   * family starts here, without a session (the auth flows create one).
   */
  adopted?: boolean;
  /**
   * Present when the store applied `beforeRotate`'s session advance with the rotation: the
   * updated session, or null when the family has no active session.
   */
  session?: SessionRecord | null;
  /**
   * True when the store could not answer and `fail_open` let the token through WITHOUT
   * rotation: reuse was not checked and `newJti` is not registered (it will be refused as
   * unknown once the store is back, so the user logs in again).
   */
  degraded?: boolean;
}

/** What `validateAndRotate` resolves when `fail_open` waived an outage. */
const DEGRADED = Symbol('degraded');

export class RefreshTokenPolicy {
  readonly store: RefreshTokenStore | undefined;
  readonly failureMode: FailureMode;
  readonly #verifier: RefreshTokenVerifier;
  readonly #tokens: GuardedStore<RefreshTokenStore> | undefined;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #graceSeconds: number;

  constructor(options: RefreshTokenPolicyOptions) {
    this.#verifier = new RefreshTokenVerifier(options);
    this.store = options.store;
    this.failureMode = assertFailureMode(options.failureMode ?? 'fail_closed');
    this.#hooks = options.hooks;
    this.#logger = options.logger ?? console;
    this.#clock = options.clock ?? Date.now;
    const grace = options.graceSeconds ?? 10;
    if (!Number.isFinite(grace) || grace < 0) {
      throw new ConfigurationError(
        `RefreshTokenPolicy: graceSeconds must be a number ≥ 0, got ${String(grace)}`,
      );
    }
    this.#graceSeconds = grace;
    this.#tokens = guardStore('refresh_validation', options.store, {
      ...options,
      failureMode: this.failureMode,
      logger: this.#logger,
    });
  }

  /**
   * A policy configured like the Python services: `REFRESH_SECRET_KEY`, `REFRESH_SECRET_KEY_OLD`,
   * `REFRESH_VALIDATION_FAILURE_MODE` through `effectiveFailureMode` (`AUTH_STRICT_MODE` forces
   * fail_closed) and `TOKEN_MODE`: stateful/hybrid require a `store` (`ConfigurationError`
   * otherwise — rotation and theft detection would silently be off); stateless validates only
   * and never uses a store.
   */
  static fromSettings(
    settings: AuthSettings,
    options: Partial<Omit<RefreshTokenPolicyOptions, 'secret' | 'oldSecret' | 'failureMode'>> = {},
  ): RefreshTokenPolicy {
    if (settings.REFRESH_SECRET_KEY === undefined) {
      throw new ConfigurationError('REFRESH_SECRET_KEY is required to validate refresh tokens');
    }
    const stateless = settings.TOKEN_MODE === 'stateless';
    if (!stateless && options.store === undefined) {
      throw new ConfigurationError(
        `TOKEN_MODE=${settings.TOKEN_MODE} needs a refresh token store: pass store (e.g. a Redis or SQL store), or set TOKEN_MODE=stateless to accept refresh tokens without rotation.`,
      );
    }
    return new RefreshTokenPolicy({
      ...options,
      store: stateless ? undefined : options.store,
      secret: settings.REFRESH_SECRET_KEY,
      oldSecret: settings.REFRESH_SECRET_KEY_OLD,
      graceSeconds: options.graceSeconds ?? settings.REFRESH_GRACE_SECONDS,
      failureMode: effectiveFailureMode(settings, 'refresh_validation'),
    });
  }

  /**
   * Checks signature and claims only (no store): HS256, leeway 0, required exp/sub/jti/type,
   * no iss/aud (as Python). Rejects with `InvalidTokenError` (tokenType `refresh`) and reports
   * `onFailure`; never rejects with anything else for any input.
   */
  async verify(token: string): Promise<RefreshTokenData> {
    return this.#verifier.verify(token);
  }

  /**
   * Validates `token` and atomically rotates it to `newJti` in the store (one `rotate()`
   * call, so of N concurrent refreshes with one token exactly one succeeds).
   * - rotated → `onSuccess` with the NEW jti; resolves `{ userId, oldJti, newJti, familyId }`.
   * - already rotated (outside the grace) → the whole family is revoked (theft signal),
   *   `onReuse`, `onFailure` reason `reused`, 401 "Refresh token already used or revoked".
   * - revoked (its session ended), or unknown to the store (never registered, expired,
   *   evicted) → same message, reason `revoked`; not theft: nothing else is revoked.
   * - store down → `fail_closed`: `StoreUnavailableError` (503); `fail_open`: resolves with
   *   `degraded: true` after validating only. RISK: while degraded a stolen token can be
   *   replayed undetected; choose fail_open only if availability beats that.
   * Without a store: validation only, reusable until expiry (Python behaviour).
   */
  async validateAndRotate(
    token: string,
    options: ValidateAndRotateOptions,
  ): Promise<RefreshRotation> {
    const { newJti, ttlSeconds = 86_400 } = options ?? ({} as ValidateAndRotateOptions);
    if (typeof newJti !== 'string' || newJti === '') {
      throw new TypeError('validateAndRotate: newJti must be a non-empty string');
    }
    if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0)) {
      throw new TypeError('validateAndRotate: ttlSeconds must be a positive number of seconds');
    }
    const data = this.#verifier.verify(token);
    const now = Math.floor(this.#clock() / 1000);
    const session =
      (await options.beforeRotate?.(data, { jti: newJti, issuedAt: now })) ?? undefined;
    const fresh = withFamily(
      { userId: data.userId, oldJti: data.jti, newJti, issuedAt: now },
      data.familyId,
    );
    const tokens = this.#tokens;
    if (tokens === undefined) {
      this.#succeeded(newJti, data.userId);
      return fresh;
    }
    const outcome = await tokens.attempt(
      (store) =>
        store.rotate(data.jti, newJti, ttlSeconds, {
          graceSeconds: this.#graceSeconds,
          nowSeconds: now,
          familyId: data.familyId,
          userId: data.userId,
          session: data.familyId === undefined ? undefined : session,
          deadline: tokens.guard.deadline(),
        }),
      DEGRADED,
    );
    traceRotation(outcome === DEGRADED ? 'degraded' : outcome.status);
    if (outcome === DEGRADED) return { ...fresh, degraded: true };
    return this.#settle(outcome, fresh, options);
  }

  /** The rotation's answer from the store's outcome (theft: the family is revoked first). */
  async #settle(
    outcome: StoreRotation,
    fresh: RefreshRotation,
    options: ValidateAndRotateOptions,
  ): Promise<RefreshRotation> {
    const { userId, oldJti } = fresh;
    switch (outcome.status) {
      case 'rotated': {
        this.#succeeded(fresh.newJti, userId);
        const rotated: RefreshRotation = {
          ...fresh,
          issuedAt: outcome.issuedAt,
          familyId: outcome.familyId,
        };
        if (outcome.session !== undefined) rotated.session = outcome.session;
        if (outcome.adopted === true) rotated.adopted = true;
        return rotated;
      }
      case 'replayed':
        this.#succeeded(outcome.jti, userId);
        return {
          userId,
          oldJti,
          newJti: outcome.jti,
          issuedAt: outcome.issuedAt,
          familyId: outcome.familyId,
          replayed: true,
        };
      case 'reused':
        await this.#endStolenFamily(outcome, options);
        throw this.#verifier.fail(Messages.REFRESH_REUSED, 'reused');
      default:
        // `revoked` (its session already ended) or `unknown`: refused, and no theft to act on.
        throw this.#verifier.fail(Messages.REFRESH_REUSED, 'revoked');
    }
  }

  /**
   * Records a freshly issued refresh token (at login), issued at `issuedAt` when given (else
   * the store's clock). `userId` is kept as `storedUserId` makes it (a UUID in any spelling in
   * its canonical form, the one `verify` reads from the token's `sub`). No store: no-op.
   */
  async register(jti: string, registration: RefreshTokenRegistration): Promise<void> {
    const userId = storedUserId(registration.userId);
    await this.#tokens?.call((store) => store.register(jti, { ...registration, userId }));
  }

  /** Revokes one refresh token of `userId` (logout). No store: no-op, as Python. */
  async revoke(jti: string, userId: string): Promise<void> {
    await this.#tokens?.call((store) => store.revoke(jti, userId));
  }

  /**
   * Revokes every token of a family of `userId`; resolves to the family's tokens the store
   * listed (`RefreshTokenStore.revokeFamily`), `[]` without a store.
   */
  async revokeFamily(
    familyId: string,
    userId: string,
    options?: RefreshRevocationOptions,
  ): Promise<RevokedRefreshToken[]> {
    return (
      (await this.#tokens?.call((store) => store.revokeFamily(familyId, userId, options))) ?? []
    );
  }

  /** Revokes every token of a user ("log out everywhere"); resolves to the tokens listed (`[]` without a store). */
  async revokeUser(
    userId: string,
    options?: RefreshRevocationOptions,
  ): Promise<RevokedRefreshToken[]> {
    return (await this.#tokens?.call((store) => store.revokeUser(userId, options))) ?? [];
  }

  /** Reuse: revoke the family, then let the caller end what hangs on it; a failure is only logged. */
  async #endStolenFamily(
    family: { userId: string; familyId: string },
    options: ValidateAndRotateOptions,
  ): Promise<void> {
    // The verdict stays "reused" (401) whatever fails here; what failed stays live until the store is back.
    let tokens: RevokedRefreshToken[] = [];
    await this.#logFailure('revoking its family', async () => {
      tokens = await this.revokeFamily(family.familyId, family.userId);
    });
    const onReuse = options.onReuse;
    if (onReuse !== undefined) {
      await this.#logFailure('ending its session', () => onReuse({ ...family, tokens }));
    }
  }

  async #logFailure(what: string, work: () => Promise<unknown> | unknown): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#logger.error(
        `auth-sdk-m8: refresh token reuse detected but ${what} failed: ${String(
          error instanceof Error ? error.message : error,
        )}`,
      );
    }
  }

  #succeeded(newJti: string, userId: string): void {
    callHook(
      this.#hooks,
      'onSuccess',
      { jti: newJti, sub: userId, tokenType: 'refresh' },
      this.#logger,
    );
  }
}

function withFamily<T extends object>(
  value: T,
  familyId: string | undefined,
): T & { familyId?: string } {
  return familyId === undefined ? value : { ...value, familyId };
}
