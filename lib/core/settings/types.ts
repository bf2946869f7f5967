import type { FailureMode } from '../failure-mode';
import type { TokenAlgorithm } from '../types';
import type { SecretValue } from './secret';

export type Environment = 'local' | 'development' | 'staging' | 'production';
export type TokenMode = 'stateless' | 'stateful' | 'hybrid';
export type ServiceRole = 'issuer' | 'consumer';

/**
 * What a token consumer or issuer needs (`authSettingsSchema`): the token, key, mode and
 * degradation settings, with Redis optional. Names, defaults and rules are the Python
 * `CommonSettings` ones. Secrets are `SecretValue`s.
 */
export interface AuthSettings {
  ENVIRONMENT: Environment;
  ACCESS_TOKEN_ALGORITHM: TokenAlgorithm;
  /** Always HS256 (refresh tokens are internal). */
  REFRESH_TOKEN_ALGORITHM: 'HS256';
  ACCESS_SECRET_KEY?: SecretValue;
  ACCESS_PRIVATE_KEY_FILE?: string;
  ACCESS_PUBLIC_KEY_FILE?: string;
  /** PEM read from ACCESS_PRIVATE_KEY_FILE (never settable from env directly). */
  ACCESS_PRIVATE_KEY?: SecretValue;
  /** PEM read from ACCESS_PUBLIC_KEY_FILE. */
  ACCESS_PUBLIC_KEY?: string;
  ACCESS_KEY_ID?: string;
  REFRESH_SECRET_KEY?: SecretValue;
  REFRESH_SECRET_KEY_OLD?: SecretValue;
  /** Python's general-purpose secret (kept, never used by this package). */
  SECRET_KEY?: SecretValue;
  TOKEN_MODE: TokenMode;
  ACCESS_TOKEN_EXPIRE_MINUTES: number;
  REFRESH_TOKEN_EXPIRE_MINUTES: number;
  /** Seconds a rotated refresh token may be re-presented while its successor is unused (default 10). */
  REFRESH_GRACE_SECONDS: number;
  REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: number;
  /** The absolute session lifetime: no refresh outlives its login by more (default 43 200 = 30 days). */
  SESSION_MAX_LIFETIME_MINUTES: number;
  /** Failed logins allowed per account in a window (default 5; Python 1.x name). */
  LOGIN_RATE_LIMIT_REQUESTS: number;
  /** The login window in minutes (default 15). */
  LOGIN_RATE_LIMIT_WINDOW_MINUTES: number;
  /** Refreshes allowed per refresh family in a window (default 10; Python 1.x name). */
  REFRESH_RATE_LIMIT_REQUESTS: number;
  /** The refresh window in minutes (default 5). */
  REFRESH_RATE_LIMIT_WINDOW_MINUTES: number;
  TOKEN_ISSUER?: string;
  TOKEN_AUDIENCE?: string;
  JWKS_URI?: string;
  JWKS_CACHE_TTL_SECONDS: number;
  AUTH_SERVICE_ROLE: ServiceRole;
  STRICT_PRODUCTION_MODE: boolean;
  SESSION_COOKIE_SECURE: boolean;
  AUTH_STRICT_MODE: boolean;
  REFRESH_VALIDATION_FAILURE_MODE: FailureMode;
  SESSION_WRITE_FAILURE_MODE: FailureMode;
  RATE_LIMIT_FAILURE_MODE: FailureMode;
  ACCESS_REVOCATION_FAILURE_MODE: FailureMode;
  REDIS_HOST?: string;
  REDIS_PORT?: number;
  REDIS_USER?: string;
  REDIS_PASSWORD?: SecretValue;
  REDIS_SSL: boolean;
  METRICS_ENABLED: boolean;
  METRICS_GROUPS: string;
  API_PREFIX: string;
  /** Signs published events and verifies received ones (`auth-sdk-m8/events`); strength-checked. */
  EVENT_SIGNING_KEY?: SecretValue;
  /**
   * Derived when BACKEND_CORS_ORIGINS is given (any schema): its origins, normalised, plus
   * FRONTEND_HOST (Python `ALLOWED_ORIGINS`).
   */
  readonly ALLOWED_ORIGINS?: readonly string[];
  /** Derived: TOKEN_MODE === 'stateless'. */
  readonly isStateless: boolean;
  /** Derived: TOKEN_MODE === 'stateful'. */
  readonly isStateful: boolean;
  /** Derived: stateful or hybrid (a revocation/refresh store is needed). */
  readonly requiresStore: boolean;
}

/** The full Python `CommonSettings` set (`commonSettingsSchema`): web, CORS, DB and email too. */
export interface CommonSettings extends AuthSettings {
  DOMAIN: string;
  PROJECT_NAME: string;
  STACK_NAME: string;
  SET_OPEN_API: boolean;
  SET_DOCS: boolean;
  SET_REDOC: boolean;
  BACKEND_HOST: string;
  FRONTEND_HOST: string;
  BACKEND_CORS_ORIGINS: string;
  /** Derived: parsed BACKEND_CORS_ORIGINS + FRONTEND_HOST (Python `ALLOWED_ORIGINS`). */
  readonly ALLOWED_ORIGINS: readonly string[];
  SENTRY_DSN?: string;
  SELECTED_DB: 'Mysql' | 'Postgres';
  DB_ENGINE: string;
  DB_CHARSET: string;
  DB_HOST: string;
  DB_PORT: number;
  DB_DATABASE: string;
  DB_USER: string;
  DB_PASSWORD: SecretValue;
  /** Derived connection URI; its password is masked when printed (see `SecretValue`). */
  readonly DATABASE_URI: SecretValue;
  SMTP_HOST?: string;
  SMTP_PORT: number;
  EMAILS_FROM_EMAIL?: string;
  EMAILS_FROM_NAME?: string;
  EMAIL_TEST_USER: string;
  readonly emailsEnabled: boolean;
}
