/** What every adapter's JWKS route serves, and where (the CLI prints the same path). */

/** Anything that publishes a JWKS (a `TokenIssuer`). */
export interface JwksPublisher {
  jwks(): { keys: readonly object[] } | Promise<{ keys: readonly object[] }>;
}

/** The well-known path consumers fetch the issuer's public keys from. */
export const JWKS_PATH = '/.well-known/jwks.json';
