/**
 * `RefreshTokenPolicy`: refresh-token validation and rotation (Python `RefreshTokenPolicy`,
 * python-sdk-behaviour.md A.7), fixed where 0.6.10 was unsafe: rotation is ONE atomic
 * `store.rotate()` (Python checked `is_valid` then rotated — two concurrent refreshes both
 * won), and presenting an already-rotated token revokes its whole family (theft detection).
 */
import {
  ConfigurationError,
  InvalidTokenError,
  Messages,
  StoreUnavailableError,
  type InvalidTokenReason,
} from '../core/errors';
import { effectiveFailureMode } from '../core/settings/failure-mode';
import { SecretValue } from '../core/settings/secret';
import type { AuthSettings } from '../core/settings/types';
import { isStrongSecret, SECRET_KEY_MIN_LENGTH, SECRET_KEY_RULE } from '../core/secret-rule';
import type { Logger, RefreshTokenData } from '../core/types';
import { registeredClaimsFailure } from './claims';
import { claimType, claimValue } from './failure-detail';
import type { CircuitBreaker } from './circuit-breaker';
import { assertFailureMode, policyStoreGuard, type StoreGuard } from './store-guard';
import { callHook } from './hooks';
import { JwsError, jwsFailureDetail, prepareKey, verifyCompact, type PreparedKey } from './jws';
import type {
  RefreshTokenStore,
  StoreRotation,
  SessionAdvance,
  SessionRecord,
} from './store-contracts';
import type { FailureMode } from '../core/failure-mode';
import type { ValidationHooks } from './types';

/** The Python SDK's WARNING, verbatim, logged when a token only verifies with the old key. */
export const OLD_KEY_WARNING =
  'Refresh token accepted with old key — remove REFRESH_SECRET_KEY_OLD once all old-key tokens have expired';

/**
 * The user id of a refresh `sub`, read as Python's `uuid.UUID(sub)` reads it: `urn:` and
 * `uuid:` removed, braces stripped at the ends, hyphens dropped, then exactly 32 hex digits;
 * the canonical lower-case 8-4-4-4-12 form comes back (one user, one id, whatever the
 * issuer's spelling), undefined when Python would refuse it.
 */
function canonicalUuid(sub: string): string | undefined {
  const hex = sub
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The id the stores know a user by: a UUID `sub` in its canonical form (as `verify` reads a
 * refresh token's `sub`), any other `sub` in lower case.
 */
export function storedUserId(sub: string): string {
  return canonicalUuid(sub) ?? sub.toLowerCase();
}

const REQUIRED_CLAIMS = Object.freeze(['exp', 'sub', 'jti', 'type']);

export type RefreshSecret = string | Buffer | SecretValue;

export interface RefreshTokenPolicyOptions {
  /** Env `REFRESH_SECRET_KEY`: the HS256 secret refresh tokens are signed with. */
  secret: RefreshSecret;
  /**
   * Env `REFRESH_SECRET_KEY_OLD`: the previous secret during a key rotation. Tried only when
   * the signature does not match the current secret (never after an expiry or a malformed token).
   */
  oldSecret?: RefreshSecret | undefined;
  /** Allowlist with atomic rotation. Without one the policy validates only (Python stateless). */
  store?: RefreshTokenStore | undefined;
  /** Receives onSuccess (with the NEW jti), onFailure, onDegraded, onBreakerStateChange. */
  hooks?: ValidationHooks | undefined;
  /**
   * When the store cannot answer: `fail_closed` (default) answers 503; `fail_open` validates
   * the token without rotating it (see `validateAndRotate`). Env `REFRESH_VALIDATION_FAILURE_MODE`.
   */
  failureMode?: FailureMode | undefined;
  /** Timeout of one store call in ms (default 1000). */
  timeoutMs?: number | undefined;
  /**
   * Env `REFRESH_GRACE_SECONDS` (default 10, 0 turns it off): a rotated token presented again
   * within this many seconds, while its successor is unused, gets that same successor back
   * (two browser tabs, a retry after a lost response) instead of revoking the family.
   */
  graceSeconds?: number | undefined;
  /** Breaker to share, `false` for none; default: a private one (5 failures, 10 s open). */
  breaker?: CircuitBreaker | false | undefined;
  /** Store name in events and errors (default: the store's class name). */
  storeName?: string | undefined;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Receives the old-key WARNING and breaker changes (default `console`). */
  logger?: Logger | undefined;
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
  onReuse?: ((family: { userId: string; familyId: string }) => Promise<void> | void) | undefined;
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

export class RefreshTokenPolicy {
  readonly store: RefreshTokenStore | undefined;
  readonly failureMode: FailureMode;
  readonly #key: PreparedKey;
  readonly #oldKey: PreparedKey | undefined;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #guard: StoreGuard | undefined;
  readonly #graceSeconds: number;

  constructor(options: RefreshTokenPolicyOptions) {
    this.#key = prepareRefreshKey(options?.secret, 'secret (REFRESH_SECRET_KEY)');
    this.#oldKey =
      options.oldSecret === undefined
        ? undefined
        : prepareRefreshKey(options.oldSecret, 'oldSecret (REFRESH_SECRET_KEY_OLD)');
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
    const store = options.store;
    if (store !== undefined) {
      this.#guard = policyStoreGuard('refresh_validation', store, {
        ...options,
        failureMode: this.failureMode,
        logger: this.#logger,
      });
    }
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
    return this.#decode(token);
  }

  /**
   * Validates `token` and atomically rotates it to `newJti` in the store (one `rotate()`
   * call, so of N concurrent refreshes with one token exactly one succeeds).
   * - rotated → `onSuccess` with the NEW jti; resolves `{ userId, oldJti, familyId }`.
   * - already rotated or revoked → the whole family is revoked (theft signal), `onFailure`
   *   reason `reused`, 401 "Refresh token already used or revoked".
   * - unknown to the store (never registered, expired, evicted) → same message, reason `revoked`.
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
    const data = this.#decode(token);
    const now = Math.floor(this.#clock() / 1000);
    const session =
      options.beforeRotate === undefined
        ? undefined
        : ((await options.beforeRotate(data, { jti: newJti, issuedAt: now })) ?? undefined);
    const { userId, jti: oldJti } = data;
    const guard = this.#guard;
    const store = this.store;
    const fresh = { userId, oldJti, newJti, issuedAt: now };
    if (guard === undefined || store === undefined) {
      this.#succeeded(newJti, userId);
      return withFamily(fresh, data.familyId);
    }

    let outcome: StoreRotation;
    try {
      outcome = await guard.run(() =>
        store.rotate(oldJti, newJti, ttlSeconds, {
          graceSeconds: this.#graceSeconds,
          nowSeconds: now,
          familyId: data.familyId,
          userId,
          session: data.familyId === undefined ? undefined : session,
          deadline: Date.now() + guard.timeoutMs,
        }),
      );
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      guard.degrade(error); // throws under fail_closed
      return { ...withFamily(fresh, data.familyId), degraded: true };
    }

    if (outcome.status === 'rotated') {
      this.#succeeded(newJti, userId);
      const rotated: RefreshRotation = {
        ...fresh,
        issuedAt: outcome.issuedAt,
        familyId: outcome.familyId,
      };
      if (outcome.session !== undefined) rotated.session = outcome.session;
      if (outcome.adopted === true) rotated.adopted = true;
      return rotated;
    }
    if (outcome.status === 'replayed') {
      this.#succeeded(outcome.jti, userId);
      return {
        userId,
        oldJti,
        newJti: outcome.jti,
        issuedAt: outcome.issuedAt,
        familyId: outcome.familyId,
        replayed: true,
      };
    }
    if (outcome.status === 'reused') {
      await this.#revokeStolenFamily(outcome.familyId, outcome.userId);
      if (options.onReuse !== undefined) {
        try {
          await options.onReuse({ userId: outcome.userId, familyId: outcome.familyId });
        } catch (error) {
          this.#logger.error(
            `auth-sdk-m8: refresh token reuse detected but ending its session failed: ${String(
              error instanceof Error ? error.message : error,
            )}`,
          );
        }
      }
      throw this.#fail(Messages.REFRESH_REUSED, 'reused');
    }
    throw this.#fail(Messages.REFRESH_REUSED, 'revoked');
  }

  /**
   * Records a freshly issued refresh token (at login). `userId` is kept as `storedUserId`
   * makes it (a UUID in any spelling in its canonical form, the one `verify` reads from the
   * token's `sub`). No store: no-op.
   */
  async register(
    jti: string,
    registration: { userId: string; familyId: string; ttlSeconds: number },
  ): Promise<void> {
    const store = this.store;
    if (store === undefined || this.#guard === undefined) return;
    const userId = storedUserId(registration.userId);
    await this.#guard.run(() => store.register(jti, { ...registration, userId }));
  }

  /** Revokes one refresh token of `userId` (logout). No store: no-op, as Python. */
  async revoke(jti: string, userId: string): Promise<void> {
    const store = this.store;
    if (store === undefined || this.#guard === undefined) return;
    await this.#guard.run(() => store.revoke(jti, userId));
  }

  /** Revokes every token of a family of `userId`; resolves to how many were active (0 without a store). */
  async revokeFamily(familyId: string, userId: string): Promise<number> {
    const store = this.store;
    if (store === undefined || this.#guard === undefined) return 0;
    return this.#guard.run(() => store.revokeFamily(familyId, userId));
  }

  /** Revokes every token of a user ("log out everywhere"); resolves to how many were active. */
  async revokeUser(userId: string): Promise<number> {
    const store = this.store;
    if (store === undefined || this.#guard === undefined) return 0;
    return this.#guard.run(() => store.revokeUser(userId));
  }

  #decode(token: string): RefreshTokenData {
    // Every refusal carries a detail for logs and hooks (never the token, never a claim value).
    if (typeof token !== 'string' || token === '') {
      throw this.#fail(Messages.REFRESH_MISSING, 'missing');
    }
    let payload: Record<string, unknown>;
    try {
      payload = this.#verifySignature(token);
    } catch (error) {
      throw this.#fail(Messages.REFRESH_INVALID, 'invalid', jwsFailureDetail(error), error);
    }
    const failure = registeredClaimsFailure(payload, {
      nowSeconds: this.#clock() / 1000,
      leewaySeconds: 0,
      requiredClaims: REQUIRED_CLAIMS,
      requireIss: false,
      requireAud: false,
    });
    if (failure?.reason === 'expired') {
      throw this.#fail(Messages.REFRESH_EXPIRED, 'expired', failure.detail);
    }
    if (failure !== undefined)
      throw this.#fail(Messages.REFRESH_INVALID, 'invalid', failure.detail);
    // PyJWT refuses an `aud` when no audience is configured (after exp, before the type check).
    if ('aud' in payload) throw this.#fail(Messages.REFRESH_INVALID, 'invalid', 'aud_mismatch');
    if (payload.type !== 'refresh') {
      throw this.#fail(Messages.REFRESH_WRONG_TYPE, 'wrong_type', claimValue('type'));
    }
    const { sub, jti, exp, fid } = payload;
    const userId = typeof sub === 'string' ? canonicalUuid(sub) : undefined;
    if (userId === undefined) {
      const detail = typeof sub === 'string' ? claimValue('sub') : claimType('sub');
      throw this.#fail(Messages.REFRESH_INVALID, 'invalid', detail);
    }
    if (typeof jti !== 'string' || jti === '') {
      const detail = typeof jti === 'string' ? claimValue('jti') : claimType('jti');
      throw this.#fail(Messages.REFRESH_INVALID, 'invalid', detail);
    }
    if (typeof exp !== 'number')
      throw this.#fail(Messages.REFRESH_INVALID, 'invalid', claimType('exp'));
    return withFamily({ userId, jti, exp }, typeof fid === 'string' ? fid : undefined);
  }

  /**
   * The verified payload; falls back to the old key only when the signature did not match.
   * Throws what `verifyCompact` throws (a `JwsError`); `#decode` turns it into the 401.
   */
  #verifySignature(token: string): Record<string, unknown> {
    try {
      return verifyCompact(token, this.#key).payload;
    } catch (error) {
      if (!(error instanceof JwsError) || error.kind !== 'signature' || !this.#oldKey) {
        throw error;
      }
    }
    const { payload } = verifyCompact(token, this.#oldKey);
    this.#logger.warn(OLD_KEY_WARNING);
    return payload;
  }

  async #revokeStolenFamily(familyId: string, userId: string): Promise<void> {
    try {
      await this.revokeFamily(familyId, userId);
    } catch (error) {
      // The verdict stays "reused" (401); the family stays live until the store is back.
      this.#logger.error(
        `auth-sdk-m8: refresh token reuse detected but revoking its family failed: ${String(
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

  #fail(
    message: string,
    reason: InvalidTokenReason,
    detail?: string,
    cause?: unknown,
  ): InvalidTokenError {
    const event = detail === undefined ? { reason } : { reason, detail };
    callHook(this.#hooks, 'onFailure', { ...event, tokenType: 'refresh' }, this.#logger);
    return new InvalidTokenError(message, reason, 'refresh', {
      ...(cause === undefined ? {} : { cause }),
      ...(detail === undefined ? {} : { detail }),
    });
  }
}

function withFamily<T extends object>(
  value: T,
  familyId: string | undefined,
): T & { familyId?: string } {
  return familyId === undefined ? value : { ...value, familyId };
}

/** Imports an HS256 refresh secret once, refusing weak or empty ones (Python `TokenSecret` rule). */
function prepareRefreshKey(secret: RefreshSecret | undefined, name: string): PreparedKey {
  let key: string | Buffer;
  if (secret instanceof SecretValue) key = secret.reveal();
  else if (typeof secret === 'string' || Buffer.isBuffer(secret)) key = secret;
  else
    throw new ConfigurationError(
      `RefreshTokenPolicy: ${name} is required (a string, Buffer or SecretValue)`,
    );

  // The one secret rule for strings; a Buffer secret needs >= 32 bytes.
  const weak = typeof key === 'string' ? !isStrongSecret(key) : key.length < SECRET_KEY_MIN_LENGTH;
  if (weak) {
    throw new ConfigurationError(
      `RefreshTokenPolicy: ${name} is not a strong HS256 secret: use ${SECRET_KEY_RULE} (or a Buffer of at least 32 bytes)`,
    );
  }
  return prepareKey({ key, algorithm: 'HS256' }, 'verify');
}
