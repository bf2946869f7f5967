/**
 * Validation profiles (Python `TokenValidationConfig`). Options are the Python fields in
 * camelCase; the result is checked once and frozen, so nothing is compiled per request.
 */
import Joi from 'joi';
import { ConfigurationError } from '../core/errors';
import { SUPPORTED_ALGORITHMS, type TokenAlgorithm } from '../core/types';

export interface ValidationConfigOptions {
  /** Expected `iss`; enforced only when `requireIss` is true. */
  issuer?: string | undefined;
  /** Expected audience(s); the token's `aud` must contain one when `requireAud` is true. */
  audience?: string | readonly string[] | undefined;
  /** Default false (the Python default, permissive for backward compatibility). */
  requireIss?: boolean | undefined;
  /** Default false. */
  requireAud?: boolean | undefined;
  /** Default `['exp', 'sub', 'jti', 'type']`; present and not null. */
  requiredClaims?: readonly string[] | undefined;
  /** Default `['HS256']`. */
  allowedAlgorithms?: readonly TokenAlgorithm[] | undefined;
  /** Clock skew tolerated on exp/nbf/iat, in seconds. Default 5. */
  leewaySeconds?: number | undefined;
}

export interface ValidationConfig {
  readonly issuer: string | undefined;
  readonly audience: readonly string[] | undefined;
  readonly requireIss: boolean;
  readonly requireAud: boolean;
  readonly requiredClaims: readonly string[];
  readonly allowedAlgorithms: readonly TokenAlgorithm[];
  readonly leewaySeconds: number;
}

export const DEFAULT_REQUIRED_CLAIMS: readonly string[] = Object.freeze([
  'exp',
  'sub',
  'jti',
  'type',
]);
export const DEFAULT_LEEWAY_SECONDS = 5;
export const STRICT_LEEWAY_SECONDS = 2;

const optionsSchema = Joi.object({
  issuer: Joi.string().allow(''),
  audience: Joi.alternatives(Joi.string().allow(''), Joi.array().items(Joi.string())),
  requireIss: Joi.boolean(),
  requireAud: Joi.boolean(),
  requiredClaims: Joi.array().items(Joi.string().min(1)),
  allowedAlgorithms: Joi.array().items(Joi.string().valid(...SUPPORTED_ALGORITHMS)),
  leewaySeconds: Joi.number().integer().min(0).max(300),
}).options({ abortEarly: false, convert: false });

/**
 * Build a validation profile. Errors (Python messages, camelCased) are `ConfigurationError`s:
 * `issuer must be provided when requireIss=true`, `audience must be provided when
 * requireAud=true`, `allowedAlgorithms must not be empty`.
 */
export function createValidationConfig(options: ValidationConfigOptions = {}): ValidationConfig {
  const { error } = optionsSchema.validate(options);
  if (error) {
    throw new ConfigurationError(
      `Invalid validation config: ${error.details.map((d) => d.message).join('; ')}`,
      error.details.map((d) => d.message),
    );
  }
  const requireIss = options.requireIss ?? false;
  const requireAud = options.requireAud ?? false;
  const audience =
    options.audience === undefined || options.audience === ''
      ? undefined
      : Object.freeze(
          typeof options.audience === 'string' ? [options.audience] : [...options.audience],
        );
  const issuer = options.issuer === '' ? undefined : options.issuer;
  if (requireIss && !issuer) {
    throw new ConfigurationError('issuer must be provided when requireIss=true');
  }
  if (requireAud && (!audience || audience.length === 0)) {
    throw new ConfigurationError('audience must be provided when requireAud=true');
  }
  const allowedAlgorithms = options.allowedAlgorithms ?? ['HS256'];
  if (allowedAlgorithms.length === 0) {
    throw new ConfigurationError('allowedAlgorithms must not be empty');
  }
  return Object.freeze({
    issuer,
    audience,
    requireIss,
    requireAud,
    requiredClaims: Object.freeze([...(options.requiredClaims ?? DEFAULT_REQUIRED_CLAIMS)]),
    allowedAlgorithms: Object.freeze([...allowedAlgorithms]),
    leewaySeconds: options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS,
  });
}

/**
 * The strict profile (Python `TokenValidationConfig.strict`): issuer and audience required,
 * `iat` and `nbf` required too, leeway 2 s. `allowedAlgorithms` defaults to `['HS256']` as in
 * 0.6.10; pass the algorithm your fleet signs with.
 */
export function strictValidationConfig(
  issuer: string,
  audience: string | readonly string[],
  options: Pick<ValidationConfigOptions, 'allowedAlgorithms' | 'leewaySeconds'> = {},
): ValidationConfig {
  return createValidationConfig({
    issuer,
    audience,
    requireIss: true,
    requireAud: true,
    requiredClaims: [...DEFAULT_REQUIRED_CLAIMS, 'iat', 'nbf'],
    allowedAlgorithms: options.allowedAlgorithms ?? ['HS256'],
    leewaySeconds: options.leewaySeconds ?? STRICT_LEEWAY_SECONDS,
  });
}
