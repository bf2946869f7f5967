/**
 * Plain TypeScript shapes shared by every module (the joi schemas that check them live in
 * `schemas.ts`). Claim names are the Python SDK's, so Node and Python services of one fleet
 * read the same tokens.
 */

/** Roles, highest privilege first (Python `RoleType`). */
export type RoleName = 'superadmin' | 'admin' | 'writer' | 'reader' | 'user';

export type TokenAlgorithm = 'HS256' | 'RS256' | 'ES256';
export const SUPPORTED_ALGORITHMS: readonly TokenAlgorithm[] = Object.freeze([
  'HS256',
  'RS256',
  'ES256',
]);

/** User fields carried in an access token (Python `UserPayloadData`). */
export interface UserPayloadData {
  email: string;
  full_name?: string | null;
  avatar?: string | null;
  is_active: boolean;
  email_verified: boolean;
  is_superuser: boolean;
  role: RoleName;
  tenant_id?: string | null;
}

/**
 * A validated access token (Python `TokenUserData`): the user fields with their defaults
 * filled in, plus `sub`, `jti`, `type` and `exp`. `iss`/`aud`/`iat`/`nbf` are checked but not
 * part of the result, as in Python.
 */
export interface TokenUserData extends UserPayloadData {
  sub: string;
  jti: string;
  type: 'access';
  exp: number | null;
  /**
   * The session the token belongs to (OIDC `sid`: the refresh family of its login), when the
   * issuer set one. Python consumers ignore it.
   */
  sid?: string;
  /**
   * When the user last proved who they are with credentials (OIDC `auth_time`, epoch
   * seconds), carried unchanged through refreshes: what `requireFreshLogin` checks.
   */
  auth_time?: number;
}

/** A validated refresh token. */
export interface RefreshTokenData {
  /** The user id (`sub`), a UUID. */
  userId: string;
  jti: string;
  exp: number;
  /** Token family (`fid` claim) when the issuer set one. */
  familyId?: string;
  /** The login the session started with (`auth_time`, epoch seconds), when the issuer set one. */
  authTime?: number;
}

/** Python `UserModel`: what `req.user` holds. */
export interface UserModel {
  id: string;
  email: string;
  full_name?: string | null;
  avatar?: string | null;
  is_active: boolean;
  email_verified: boolean;
  is_superuser: boolean;
  role: RoleName;
  tenant_id?: string | null;
}

/** Python `ResponseError`. */
export interface ResponseError {
  table: string | null;
  field_name: string | null;
  error: string | null;
}

/** Python `ResponseErrorBase`: the body of every error response. */
export interface ResponseErrorBase {
  success: false;
  msg: string | null;
  from_error: string | null;
  errors: ResponseError[];
  status_code: number | null;
}

/** A token pair as the example service and `setAuthCookies` hand it out. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  /** Seconds until the access token expires. */
  expires_in?: number;
}

/** A logger the package can write to (console, pino, winston … all fit). */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
  info?: ((message: string) => void) | undefined;
  debug?: ((message: string) => void) | undefined;
}
