/**
 * `TokenValidator`: access-token validation with the Python SDK's pipeline, messages and
 * hook reasons, hardened for hostile input (RFC 8725) and fast on the static-key path.
 */
import {
  ConfigurationError,
  InvalidTokenError,
  Messages,
  StoreUnavailableError,
  type InvalidTokenReason,
} from '../core/errors';
import type { Logger, TokenUserData } from '../core/types';
import { readAccessPayload, registeredClaimsFailure } from './claims';
import { missingClaim, claimValue, shortName } from './failure-detail';
import { callHook } from './hooks';
import {
  DEFAULT_MAX_TOKEN_LENGTH,
  JwsError,
  decodeHeader,
  jwsFailureDetail,
  prepareKey,
  verifyCompact,
  type PreparedKey,
} from './jws';
import { traceTokenValidation } from './tracing';
import type { ValidationConfig } from './validation-config';
import { VerifiedTokenCache, type VerifiedTokenCacheOptions } from './verified-token-cache';
import type { KeyResolver, TokenSecret, ValidationHooks } from './types';

export interface TokenValidatorOptions {
  /** A static key (HS256 secret, or RS256/ES256 public key). */
  secret?: TokenSecret | undefined;
  /** Finds the key per token `kid` (e.g. `JwksKeyResolver`); wins over `secret`. */
  keyResolver?: KeyResolver | undefined;
  config: ValidationConfig;
  hooks?: ValidationHooks | undefined;
  /**
   * Verified-token cache: on by default (10 000 entries, 60 s max age); `false` turns it off.
   * Revocation is never cached.
   */
  cache?: boolean | VerifiedTokenCacheOptions | undefined;
  /** Clock in epoch milliseconds (tests inject one). Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Tokens longer than this are refused before parsing. Default 8192. */
  maxTokenLength?: number | undefined;
  logger?: Logger | undefined;
}

/** Anything that validates access tokens: `TokenValidator`, or a policy around it. */
export interface AccessTokenValidator {
  validateAccessToken(token: string): Promise<TokenUserData>;
}

const MESSAGES: Record<'expired' | 'invalid' | 'wrong_type' | 'invalid_payload', string> = {
  expired: Messages.ACCESS_EXPIRED,
  invalid: Messages.ACCESS_INVALID,
  wrong_type: Messages.ACCESS_WRONG_TYPE,
  invalid_payload: Messages.ACCESS_INVALID,
};

export class TokenValidator implements AccessTokenValidator {
  readonly config: ValidationConfig;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger | undefined;
  readonly #clock: () => number;
  readonly #maxTokenLength: number;
  readonly #staticKey: PreparedKey | undefined;
  readonly #resolver: KeyResolver | undefined;
  readonly #cache: VerifiedTokenCache | undefined;
  readonly #preparedBySecret = new WeakMap<TokenSecret, PreparedKey>();
  /** The verification algorithm, for traces: the static key's, or the only one allowed. */
  readonly #algorithm: string | undefined;

  constructor(options: TokenValidatorOptions) {
    const { secret, keyResolver, config } = options;
    if (secret === undefined && keyResolver === undefined) {
      throw new ConfigurationError('Either secret or keyResolver must be provided');
    }
    if (secret !== undefined && !config.allowedAlgorithms.includes(secret.algorithm)) {
      throw new ConfigurationError(`Algorithm '${secret.algorithm}' not allowed by configuration`);
    }
    this.config = config;
    this.#hooks = options.hooks;
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
    this.#maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    this.#resolver = keyResolver;
    // As in Python, a resolver wins; the secret is still checked so a bad one fails at boot.
    this.#staticKey = secret === undefined ? undefined : prepareKey(secret, 'verify');
    const allowed = config.allowedAlgorithms;
    this.#algorithm =
      keyResolver === undefined ? secret?.algorithm : allowed.length === 1 ? allowed[0] : undefined;
    const cache = options.cache ?? true;
    this.#cache = cache === false ? undefined : new VerifiedTokenCache(cache === true ? {} : cache);
  }

  /**
   * Validate an access token: signature with the pinned algorithm, registered claims
   * (PyJWT order), `type === "access"`, then the payload (Python `TokenUserData`). Rejects
   * with `InvalidTokenError` (401; reasons expired | invalid | wrong_type | invalid_payload)
   * or, when the key server cannot answer, `StoreUnavailableError` (503).
   */
  validateAccessToken(token: string): Promise<TokenUserData> {
    return traceTokenValidation(this.#algorithm, () => this.#validate(token));
  }

  #validate(token: string): Promise<TokenUserData> {
    if (this.#resolver === undefined) {
      // Static key: no awaits, one settled promise (this path is benchmarked).
      try {
        return Promise.resolve(this.#validateWith(token, this.#staticKey as PreparedKey));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#validateWithResolver(token, this.#resolver);
  }

  async #validateWithResolver(token: string, resolver: KeyResolver): Promise<TokenUserData> {
    const cached = this.#fromCache(token);
    if (cached !== undefined) return cached;
    let kid: string | undefined;
    try {
      kid = decodeHeader(token, this.#maxTokenLength).kid;
    } catch (err) {
      throw this.#fail('invalid', jwsFailureDetail(err), err);
    }
    let secret: TokenSecret | undefined;
    try {
      secret = await resolver.resolve(kid);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      // A resolver says "no such key" with an InvalidTokenError; anything else is its own fault.
      const detail =
        err instanceof InvalidTokenError ? (err.detail ?? 'kid_unknown') : 'key_resolver_error';
      throw this.#fail('invalid', detail, err);
    }
    if (secret === undefined) throw this.#fail('invalid', 'kid_unknown');
    // Python raised a ValueError (→ 500) for a resolved key of a disallowed algorithm.
    if (!this.config.allowedAlgorithms.includes(secret.algorithm)) {
      throw this.#fail('invalid', `alg_not_allowed:${shortName(secret.algorithm)}`);
    }
    let key = this.#preparedBySecret.get(secret);
    if (key === undefined) {
      try {
        key = prepareKey(secret, 'verify');
      } catch (err) {
        throw this.#fail('invalid', 'key_unusable', err);
      }
      this.#preparedBySecret.set(secret, key);
    }
    return this.#validateWith(token, key);
  }

  #fromCache(token: string): TokenUserData | undefined {
    if (this.#cache === undefined || typeof token !== 'string') return undefined;
    const claims = this.#cache.get(token, this.#clock());
    return claims === undefined ? undefined : this.#succeed(claims);
  }

  #validateWith(token: string, key: PreparedKey): TokenUserData {
    const cached = this.#resolver === undefined ? this.#fromCache(token) : undefined;
    if (cached !== undefined) return cached;
    let payload: Record<string, unknown>;
    try {
      payload = verifyCompact(token, key, { maxLength: this.#maxTokenLength }).payload;
    } catch (err) {
      if (err instanceof JwsError) throw this.#fail('invalid', err.detail, err);
      throw err;
    }
    const now = this.#clock();
    const config = this.config;
    const failure = registeredClaimsFailure(payload, {
      nowSeconds: now / 1000,
      leewaySeconds: config.leewaySeconds,
      requiredClaims: config.requiredClaims,
      issuer: config.issuer,
      audience: config.audience,
      requireIss: config.requireIss,
      requireAud: config.requireAud,
    });
    if (failure !== undefined) throw this.#fail(failure.reason, failure.detail);
    const type = payload.type;
    if (type !== 'access') {
      throw this.#fail(
        'wrong_type',
        type === undefined || type === null ? missingClaim('type') : claimValue('type'),
      );
    }
    const claims = readAccessPayload(payload);
    if (typeof claims === 'string') throw this.#fail('invalid_payload', claims);
    this.#cache?.set(token, claims, now);
    return this.#succeed(claims);
  }

  #succeed(claims: TokenUserData): TokenUserData {
    const event = { jti: claims.jti, sub: claims.sub, tokenType: 'access' } as const;
    callHook(this.#hooks, 'onSuccess', event, this.#logger);
    return claims;
  }

  #fail(
    reason: Extract<InvalidTokenReason, keyof typeof MESSAGES>,
    detail: string,
    cause?: unknown,
  ): InvalidTokenError {
    callHook(this.#hooks, 'onFailure', { reason, tokenType: 'access', detail }, this.#logger);
    return new InvalidTokenError(MESSAGES[reason], reason, 'access', { cause, detail });
  }
}
