import { ConfigurationError } from '../core/errors';
import { revealSecret } from '../core/settings/secret';
import type { AuthSettings } from '../core/settings/types';
import type { Logger } from '../core/types';
import { JwksKeyResolver } from './key-resolvers/jwks';
import { TokenValidator } from './token-validator';
import { createValidationConfig } from './validation-config';
import type { VerifiedTokenCacheOptions } from './verified-token-cache';
import type { ValidationHooks } from './types';

export type AccessValidatorSettings = Pick<
  AuthSettings,
  | 'ACCESS_TOKEN_ALGORITHM'
  | 'ACCESS_SECRET_KEY'
  | 'ACCESS_PUBLIC_KEY'
  | 'TOKEN_ISSUER'
  | 'TOKEN_AUDIENCE'
  | 'JWKS_URI'
  | 'JWKS_CACHE_TTL_SECONDS'
>;

export interface BuildAccessValidatorOptions {
  hooks?: ValidationHooks | undefined;
  cache?: boolean | VerifiedTokenCacheOptions | undefined;
  clock?: (() => number) | undefined;
  logger?: Logger | undefined;
  /**
   * With JWKS_URI: fetch the key set once now (default true), so the first requests find
   * keys. Never blocks or fails the start; a key server that is not up yet is fetched again by
   * the first request.
   */
  warmJwks?: boolean | undefined;
}

/**
 * The validator a service's settings describe (Python `build_access_validator`): only
 * ACCESS_TOKEN_ALGORITHM is allowed; TOKEN_ISSUER / TOKEN_AUDIENCE are enforced when set;
 * the key comes from JWKS_URI (RS256/ES256), else ACCESS_PUBLIC_KEY (the PEM of
 * ACCESS_PUBLIC_KEY_FILE), else ACCESS_SECRET_KEY (HS256). A missing key is a
 * `ConfigurationError` naming the variable (Python failed only at the first request).
 */
export function buildAccessValidator(
  settings: AccessValidatorSettings,
  options: BuildAccessValidatorOptions = {},
): TokenValidator {
  const algorithm = settings.ACCESS_TOKEN_ALGORITHM;
  const issuer = settings.TOKEN_ISSUER || undefined;
  const audience = settings.TOKEN_AUDIENCE || undefined;
  const config = createValidationConfig({
    allowedAlgorithms: [algorithm],
    issuer,
    audience,
    requireIss: issuer !== undefined,
    requireAud: audience !== undefined,
  });
  const common = {
    config,
    hooks: options.hooks,
    cache: options.cache,
    clock: options.clock,
    logger: options.logger,
  };
  if (algorithm !== 'HS256' && settings.JWKS_URI) {
    const keyResolver = new JwksKeyResolver({
      uri: settings.JWKS_URI,
      algorithm,
      cacheTtlSeconds: settings.JWKS_CACHE_TTL_SECONDS,
      hooks: options.hooks,
      logger: options.logger,
    });
    // Warm the cache now when the key server answers; a start never waits or fails on it.
    if (options.warmJwks ?? true) void keyResolver.warm();
    return new TokenValidator({ ...common, keyResolver });
  }
  if (algorithm !== 'HS256') {
    if (!settings.ACCESS_PUBLIC_KEY) {
      throw new ConfigurationError(
        `ACCESS_TOKEN_ALGORITHM=${algorithm} requires a public key source: set JWKS_URI or ACCESS_PUBLIC_KEY_FILE.`,
      );
    }
    return new TokenValidator({
      ...common,
      secret: { key: settings.ACCESS_PUBLIC_KEY, algorithm },
    });
  }
  const secret = revealSecret(settings.ACCESS_SECRET_KEY);
  if (!secret) {
    throw new ConfigurationError('ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256');
  }
  return new TokenValidator({ ...common, secret: { key: secret, algorithm } });
}
