/**
 * Turns the adapter options (`{ policy } | { validator } | { settings }`) into one verify
 * function, built once when the middleware or strategy is created, never per request.
 */
import { ConfigurationError } from '../../core/errors';
import { loadSettings } from '../../core/settings/load';
import type { AuthSettings } from '../../core/settings/types';
import type { TokenUserData } from '../../core/types';
import type { RevocationStore } from '../store-contracts';
import { TokenPolicy } from '../token-policy';
import type { AccessTokenValidator } from '../token-validator';
import type { ValidationHooks } from '../types';

/** Anything with `validate(token)`: a `TokenPolicy` (signature, claims and revocation). */
export interface AccessTokenPolicy {
  validate(token: string): Promise<TokenUserData>;
}

/**
 * Where the adapters get their verdicts. Give one of:
 * - `policy`: a `TokenPolicy` (recommended: it also checks revocation);
 * - `validator`: a `TokenValidator` (signature and claims only, the Python stateless mode);
 * - `settings` (+ `revocationStore`, `hooks`): a `TokenPolicy` is built from them once;
 * - nothing: settings are loaded from the environment and `.env` (`loadSettings()`).
 */
export type VerifierSource =
  | { policy: AccessTokenPolicy; validator?: undefined; settings?: undefined }
  | { validator: AccessTokenValidator; policy?: undefined; settings?: undefined }
  | {
      settings: AuthSettings;
      /** Revocation store for TOKEN_MODE stateful/hybrid. */
      revocationStore?: RevocationStore | undefined;
      hooks?: ValidationHooks | undefined;
      policy?: undefined;
      validator?: undefined;
    }
  | { policy?: undefined; validator?: undefined; settings?: undefined };

export type VerifyAccessToken = (token: string) => Promise<TokenUserData>;

export function resolveVerifier(source: VerifierSource): VerifyAccessToken {
  const given = [source.policy, source.validator, source.settings].filter((v) => v !== undefined);
  if (given.length > 1) {
    throw new ConfigurationError(
      "Give only one of 'policy', 'validator' or 'settings' to the authentication middleware.",
    );
  }
  if (source.policy) {
    const policy = source.policy;
    if (typeof policy.validate !== 'function') {
      throw new ConfigurationError("'policy' must have a validate(token) method (a TokenPolicy).");
    }
    return (token) => policy.validate(token);
  }
  if (source.validator) {
    const validator = source.validator;
    if (typeof validator.validateAccessToken !== 'function') {
      throw new ConfigurationError(
        "'validator' must have a validateAccessToken(token) method (a TokenValidator).",
      );
    }
    return (token) => validator.validateAccessToken(token);
  }
  const fromSettings = source as {
    settings?: AuthSettings;
    revocationStore?: RevocationStore;
    hooks?: ValidationHooks;
  };
  const settings = fromSettings.settings ?? loadSettings();
  const policy = TokenPolicy.fromSettings(settings, {
    revocationStore: fromSettings.revocationStore,
    hooks: fromSettings.hooks,
  });
  return (token) => policy.validate(token);
}
