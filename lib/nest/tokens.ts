/**
 * Injection tokens of what `AuthModule` provides, for the app's own providers:
 * `constructor(@Inject(AUTH_POLICY) policy: TokenPolicy)`. Strings, so Nest names them in its
 * dependency errors.
 */

/** The `AuthModuleOptions` given to `forRoot` (or made by `forRootAsync`'s factory). */
export const AUTH_OPTIONS = 'AUTH_SDK_M8_OPTIONS';
/** The `TokenPolicy` (signature, claims, TOKEN_MODE, revocation). */
export const AUTH_POLICY = 'AUTH_SDK_M8_POLICY';
/** The `TokenIssuer`, or null when the options have none. */
export const AUTH_ISSUER = 'AUTH_SDK_M8_ISSUER';
/** The `RefreshTokenPolicy`, or null when the options have none. */
export const AUTH_REFRESH_POLICY = 'AUTH_SDK_M8_REFRESH_POLICY';
/** The `AuthFlows` (login, refresh, logout, sessions), or null without issuer, refresh policy and findUser. */
export const AUTH_FLOWS = 'AUTH_SDK_M8_FLOWS';
/** The `RequestAuthenticator` the guard runs (the one request pipeline). */
export const AUTH_AUTHENTICATOR = 'AUTH_SDK_M8_AUTHENTICATOR';
