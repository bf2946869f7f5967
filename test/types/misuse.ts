/** Wrong uses of the public API do not compile (each `@ts-expect-error` must find an error). */
import { TokenIssuer, TokenPolicy, createValidationConfig, loadSettings } from 'auth-sdk-m8';
import type { AccessTokenValidator, RoleName, TokenSecret } from 'auth-sdk-m8';
import { authenticate, requireRole } from 'auth-sdk-m8/express';
import { createJwtStrategy } from 'auth-sdk-m8/passport';

declare const validator: AccessTokenValidator;
declare const policy: TokenPolicy;

// An unknown role name.
// @ts-expect-error 'owner' is not a RoleName
requireRole('owner');
// @ts-expect-error role names are lower case
export const upper: RoleName = 'Admin';

// A wrong failure mode string.
// @ts-expect-error 'fail_safe' is not a FailureMode
export const wrongMode = new TokenPolicy({ validator, failureMode: 'fail_safe' });
// @ts-expect-error the token mode set is closed
export const wrongTokenMode = new TokenPolicy({ validator, tokenMode: 'sessionless' });

// An algorithm outside the supported set.
// @ts-expect-error 'none' is never an algorithm
export const none: TokenSecret = { key: 'k', algorithm: 'none' };
// @ts-expect-error HS512 is not supported
createValidationConfig({ allowedAlgorithms: ['HS512'] });

// Two verdict sources at once.
// @ts-expect-error policy and validator exclude each other
authenticate({ policy, validator });
// @ts-expect-error the same holds for the Passport strategy
createJwtStrategy({ policy, validator });

// Options that do not exist (a typo is caught, not ignored).
// @ts-expect-error `realms` is not an option
authenticate({ policy, realms: 'api' });
// @ts-expect-error `envFiles` is not an option
loadSettings({ envFiles: ['.env'] });

// The issuer needs its signing key.
// @ts-expect-error accessKeys is required
export const keyless = new TokenIssuer({ issuer: 'https://id.example' });
