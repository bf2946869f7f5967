/**
 * Stateless refresh-token verification (the Python SDK's refresh decoding): HS256 with the
 * current secret, the old one only after a signature mismatch, leeway 0, required
 * exp/sub/jti/type, no iss/aud, `sub` read as a UUID. No store: `RefreshTokenPolicy` adds the
 * rotation on top.
 */
import {
  ConfigurationError,
  InvalidTokenError,
  Messages,
  type InvalidTokenReason,
} from '../core/errors';
import { SecretValue } from '../core/settings/secret';
import { isStrongSecret, SECRET_KEY_MIN_LENGTH, SECRET_KEY_RULE } from '../core/secret-rule';
import type { Logger, RefreshTokenData } from '../core/types';
import { isWholeTime, registeredClaimsFailure } from './claims';
import { claimType, claimValue } from './failure-detail';
import { callHook } from './hooks';
import { JwsError, jwsFailureDetail, prepareKey, verifyCompact, type PreparedKey } from './jws';
import type { ValidationHooks } from './types';
import { canonicalUuid } from './user-id';

/** The Python SDK's WARNING, verbatim, logged when a token only verifies with the old key. */
export const OLD_KEY_WARNING =
  'Refresh token accepted with old key — remove REFRESH_SECRET_KEY_OLD once all old-key tokens have expired';

const REQUIRED_CLAIMS = Object.freeze(['exp', 'sub', 'jti', 'type']);

export type RefreshSecret = string | Buffer | SecretValue;

export interface RefreshTokenVerifierOptions {
  /** Env `REFRESH_SECRET_KEY`: the HS256 secret refresh tokens are signed with. */
  secret: RefreshSecret;
  /**
   * Env `REFRESH_SECRET_KEY_OLD`: the previous secret during a key rotation. Tried only when
   * the signature does not match the current secret (never after an expiry or a malformed token).
   */
  oldSecret?: RefreshSecret | undefined;
  /** Receives `onFailure` for every refusal. */
  hooks?: ValidationHooks | undefined;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Receives the old-key WARNING (default `console`). */
  logger?: Logger | undefined;
}

export class RefreshTokenVerifier {
  readonly #key: PreparedKey;
  readonly #oldKey: PreparedKey | undefined;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;
  readonly #clock: () => number;

  constructor(options: RefreshTokenVerifierOptions) {
    this.#key = prepareRefreshKey(options?.secret, 'secret (REFRESH_SECRET_KEY)');
    this.#oldKey =
      options.oldSecret === undefined
        ? undefined
        : prepareRefreshKey(options.oldSecret, 'oldSecret (REFRESH_SECRET_KEY_OLD)');
    this.#hooks = options.hooks;
    this.#logger = options.logger ?? console;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * The verified token's data, or an `InvalidTokenError` (tokenType `refresh`) reported to
   * `onFailure` with a detail for logs (never the token, never a claim value); nothing else
   * for any input.
   */
  verify(token: string): RefreshTokenData {
    if (typeof token !== 'string' || token === '') {
      throw this.fail(Messages.REFRESH_MISSING, 'missing');
    }
    let payload: Record<string, unknown>;
    try {
      payload = this.#verifySignature(token);
    } catch (error) {
      throw this.fail(Messages.REFRESH_INVALID, 'invalid', jwsFailureDetail(error), error);
    }
    const failure = registeredClaimsFailure(payload, {
      nowSeconds: this.#clock() / 1000,
      leewaySeconds: 0,
      requiredClaims: REQUIRED_CLAIMS,
      requireIss: false,
      requireAud: false,
    });
    if (failure?.reason === 'expired') {
      throw this.fail(Messages.REFRESH_EXPIRED, 'expired', failure.detail);
    }
    if (failure !== undefined) throw this.fail(Messages.REFRESH_INVALID, 'invalid', failure.detail);
    // PyJWT refuses an `aud` when no audience is configured (after exp, before the type check).
    if ('aud' in payload) throw this.fail(Messages.REFRESH_INVALID, 'invalid', 'aud_mismatch');
    if (payload.type !== 'refresh') {
      throw this.fail(Messages.REFRESH_WRONG_TYPE, 'wrong_type', claimValue('type'));
    }
    return this.#data(payload);
  }

  /** The refusal, reported to `onFailure`. */
  fail(
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

  #data(payload: Record<string, unknown>): RefreshTokenData {
    const { sub, jti, exp, fid, auth_time: authTime } = payload;
    const userId = typeof sub === 'string' ? canonicalUuid(sub) : undefined;
    if (userId === undefined) {
      const detail = typeof sub === 'string' ? claimValue('sub') : claimType('sub');
      throw this.fail(Messages.REFRESH_INVALID, 'invalid', detail);
    }
    if (typeof jti !== 'string' || jti === '') {
      const detail = typeof jti === 'string' ? claimValue('jti') : claimType('jti');
      throw this.fail(Messages.REFRESH_INVALID, 'invalid', detail);
    }
    if (typeof exp !== 'number')
      throw this.fail(Messages.REFRESH_INVALID, 'invalid', claimType('exp'));
    const data: RefreshTokenData = { userId, jti, exp };
    if (typeof fid === 'string') data.familyId = fid;
    if (isWholeTime(authTime)) data.authTime = authTime;
    return data;
  }

  /**
   * The verified payload; falls back to the old key only when the signature did not match.
   * Throws what `verifyCompact` throws (a `JwsError`); `verify` turns it into the 401.
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
