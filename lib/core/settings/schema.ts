/**
 * joi schemas of the settings: the Python `CommonSettings` variable names, defaults and field
 * rules. Cross-field rules (key material, secret strength, CORS) run in `load.ts` after these.
 * Both schemas are plain joi objects a service extends: `authSettingsSchema.keys({ MY_VAR: … })`.
 */
import Joi from 'joi';
import { HOST_REGEX, KEY_REGEX, SLUG_REGEX, URL_PATH_STR_REGEX } from '../validation-constants';

/** pydantic's boolean strings, any case (joi compares truthy/falsy case-insensitively). */
const bool = (value: boolean): Joi.BooleanSchema =>
  Joi.boolean()
    .truthy('1', 'true', 't', 'yes', 'y', 'on')
    .falsy('0', 'false', 'f', 'no', 'n', 'off')
    // joi trims before comparing; pydantic refuses " true", and so do we.
    .custom((parsed: boolean, helpers) =>
      typeof helpers.original === 'string' && helpers.original.trim() !== helpers.original
        ? helpers.error('boolean.base')
        : parsed,
    )
    .default(value);
const failureMode = (value: 'fail_open' | 'fail_closed'): Joi.StringSchema =>
  Joi.string().valid('fail_open', 'fail_closed').default(value);
/**
 * An http(s) URL, the scheme in any case as RFC 3986 and pydantic's `HttpUrl` allow
 * (`HTTPS://Auth.Example.com`); joi compares scheme names case-sensitively and ignores regex
 * flags, hence the character classes.
 */
const httpUrl = (): Joi.StringSchema => Joi.string().uri({ scheme: [/[Hh][Tt][Tt][Pp][Ss]?/] });
const positiveInt = (value: number): Joi.NumberSchema =>
  Joi.number().integer().min(1).default(value);

/** Secrets: validated as strings here, wrapped in `SecretValue` by `loadSettings`. */
export const SECRET_FIELDS = [
  'ACCESS_SECRET_KEY',
  'REFRESH_SECRET_KEY',
  'REFRESH_SECRET_KEY_OLD',
  'DB_PASSWORD',
  'REDIS_PASSWORD',
  'EVENT_SIGNING_KEY',
  'SECRET_KEY',
] as const;

/** Secret keys (SECRET_KEY_REGEX) and passwords (PASSWORD_REGEX), as Python's lists. */
export const SECRET_KEY_FIELDS = [
  'ACCESS_SECRET_KEY',
  'REFRESH_SECRET_KEY',
  'REFRESH_SECRET_KEY_OLD',
] as const;
export const PASSWORD_FIELDS = ['DB_PASSWORD', 'REDIS_PASSWORD'] as const;

const authKeys = {
  ENVIRONMENT: Joi.string().valid('local', 'development', 'staging', 'production').default('local'),
  API_PREFIX: Joi.string().pattern(URL_PATH_STR_REGEX).allow('').default(''),
  TOKEN_ALGORITHM: Joi.string().valid('HS256', 'RS256', 'ES256').default('HS256'),
  ACCESS_TOKEN_ALGORITHM: Joi.string().valid('HS256', 'RS256', 'ES256').default('HS256'),
  REFRESH_TOKEN_ALGORITHM: Joi.string().default('HS256'),
  ACCESS_SECRET_KEY: Joi.string(),
  ACCESS_PRIVATE_KEY_FILE: Joi.string(),
  ACCESS_PUBLIC_KEY_FILE: Joi.string(),
  ACCESS_KEY_ID: Joi.string().max(256),
  REFRESH_SECRET_KEY: Joi.string(),
  REFRESH_SECRET_KEY_OLD: Joi.string(),
  SECRET_KEY: Joi.string(),
  TOKEN_MODE: Joi.string().valid('stateless', 'stateful', 'hybrid').default('stateful'),
  ACCESS_TOKEN_EXPIRE_MINUTES: positiveInt(30),
  REFRESH_TOKEN_EXPIRE_MINUTES: positiveInt(120),
  REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: positiveInt(3600),
  // Node only (Python 0.6.10 has no grace): seconds a rotated refresh token may be re-presented
  // while its successor is unused (two tabs, a retried request). 0 turns it off.
  REFRESH_GRACE_SECONDS: Joi.number().integer().min(0).max(300).default(10),
  // Node only: the absolute session lifetime (ASVS 7.3.2). No rotation outlives a login by more
  // than this: 30 days by default (Auth0's default), whatever the refresh lifetime.
  SESSION_MAX_LIFETIME_MINUTES: positiveInt(43_200),
  // The Python package's 1.x names and bounds (CommonSettings): logins and refreshes per window.
  LOGIN_RATE_LIMIT_REQUESTS: Joi.number().integer().min(1).max(1000).default(5),
  LOGIN_RATE_LIMIT_WINDOW_MINUTES: Joi.number().integer().min(1).max(1440).default(15),
  REFRESH_RATE_LIMIT_REQUESTS: Joi.number().integer().min(1).max(1000).default(10),
  REFRESH_RATE_LIMIT_WINDOW_MINUTES: Joi.number().integer().min(1).max(1440).default(5),
  TOKEN_ISSUER: Joi.string(),
  TOKEN_AUDIENCE: Joi.string(),
  JWKS_URI: httpUrl(),
  JWKS_CACHE_TTL_SECONDS: Joi.number().integer().min(0).default(300),
  AUTH_SERVICE_ROLE: Joi.string().valid('issuer', 'consumer').default('issuer'),
  STRICT_PRODUCTION_MODE: bool(false),
  SESSION_COOKIE_SECURE: bool(true),
  AUTH_STRICT_MODE: bool(false),
  REFRESH_VALIDATION_FAILURE_MODE: failureMode('fail_closed'),
  SESSION_WRITE_FAILURE_MODE: failureMode('fail_closed'),
  RATE_LIMIT_FAILURE_MODE: failureMode('fail_open'),
  // 0.6.10 defaulted to fail_open; the Python package moved to fail_closed in 0.7.1.
  ACCESS_REVOCATION_FAILURE_MODE: failureMode('fail_closed'),
  REDIS_HOST: Joi.string().pattern(HOST_REGEX),
  REDIS_PORT: Joi.number().integer().min(1).max(65535).default(6379),
  REDIS_USER: Joi.string().pattern(KEY_REGEX),
  REDIS_PASSWORD: Joi.string(),
  REDIS_SSL: bool(false),
  METRICS_ENABLED: bool(false),
  METRICS_GROUPS: Joi.string().default('all'),
  EVENT_SIGNING_KEY: Joi.string(),
};

/** What a token consumer or issuer needs; Redis optional, no web/DB/email fields. */
export const authSettingsSchema = Joi.object(authKeys);

const commonKeys = {
  ...authKeys,
  DOMAIN: Joi.string().pattern(HOST_REGEX).required(),
  ENVIRONMENT: Joi.string().valid('local', 'development', 'staging', 'production').required(),
  API_PREFIX: Joi.string().pattern(URL_PATH_STR_REGEX).required(),
  PROJECT_NAME: Joi.string().pattern(KEY_REGEX).required(),
  STACK_NAME: Joi.string().pattern(SLUG_REGEX).required(),
  SET_OPEN_API: bool(true),
  SET_DOCS: bool(true),
  SET_REDOC: bool(true),
  BACKEND_HOST: httpUrl().required(),
  FRONTEND_HOST: httpUrl().required(),
  EXTENSION_ID: Joi.string().allow('').default(''),
  BACKEND_CORS_ORIGINS: Joi.string().required(),
  REFRESH_SECRET_KEY: Joi.string().required(),
  SENTRY_DSN: httpUrl(),
  SELECTED_DB: Joi.string().valid('Mysql', 'Postgres').default('Mysql'),
  DB_ENGINE: Joi.string().default('InnoDB'),
  DB_CHARSET: Joi.string().default('utf8mb4'),
  DB_HOST: Joi.string().pattern(HOST_REGEX).required(),
  DB_PORT: Joi.number().integer().min(1).max(65535).required(),
  DB_DATABASE: Joi.string().pattern(KEY_REGEX).required(),
  DB_USER: Joi.string().pattern(KEY_REGEX).required(),
  DB_PASSWORD: Joi.string().required(),
  SMTP_HOST: Joi.string(),
  SMTP_PORT: Joi.number().integer().min(1).max(65535).default(587),
  EMAILS_FROM_EMAIL: Joi.string().email({ tlds: false }),
  EMAILS_FROM_NAME: Joi.string(),
  EMAIL_TEST_USER: Joi.string().email({ tlds: false }).default('test@example.com'),
};

/** The full Python `CommonSettings` set: web, CORS, database and email fields too. */
export const commonSettingsSchema = Joi.object(commonKeys);
