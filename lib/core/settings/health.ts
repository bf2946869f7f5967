/**
 * `checkConfigHealth`: the Python start-up checks (13 rules, their messages, severities and
 * STRICT_PRODUCTION_MODE escalations) plus the later token-boundary, JWKS-over-http and
 * permissive-rate-limit rules.
 * Warnings are logged first, then every fatal finding, then one `ConfigurationError`.
 */
import { ConfigurationError } from '../errors';
import type { Logger } from '../types';
import { allowedOrigins } from './origins';

/**
 * The settings read, duck-typed like Python's getattr: anything with these fields works
 * (`loadSettings()` output, a plain object in tests).
 */
export interface HealthSettings {
  ACCESS_TOKEN_ALGORITHM: string;
  TOKEN_MODE: string;
  ENVIRONMENT?: string;
  STRICT_PRODUCTION_MODE?: boolean;
  JWKS_URI?: string;
  JWKS_CACHE_TTL_SECONDS?: number;
  ACCESS_PUBLIC_KEY?: unknown;
  ACCESS_PRIVATE_KEY_FILE?: string;
  AUTH_SERVICE_ROLE?: string;
  REDIS_HOST?: string;
  REDIS_PASSWORD?: unknown;
  DB_HOST?: string;
  ALLOWED_ORIGINS?: readonly string[];
  /** Used when ALLOWED_ORIGINS is absent (a plain settings object), with FRONTEND_HOST. */
  BACKEND_CORS_ORIGINS?: string;
  FRONTEND_HOST?: string;
  SET_DOCS?: boolean;
  SET_OPEN_API?: boolean;
  SESSION_COOKIE_SECURE?: boolean;
  TOKEN_ISSUER?: string;
  TOKEN_AUDIENCE?: string;
  LOGIN_RATE_LIMIT_REQUESTS?: number;
  LOGIN_RATE_LIMIT_WINDOW_MINUTES?: number;
  REFRESH_RATE_LIMIT_REQUESTS?: number;
  REFRESH_RATE_LIMIT_WINDOW_MINUTES?: number;
}

export interface HealthOptions {
  /**
   * A revocation/refresh store is wired (in-memory, SQL or a Redis client built elsewhere):
   * stateful/hybrid modes are then satisfied without REDIS_HOST/REDIS_PASSWORD.
   */
  hasStore?: boolean | undefined;
  /**
   * Settings that were not set and took their default (e.g. `['TOKEN_MODE',
   * 'AUTH_SERVICE_ROLE']`, what `check-config` finds): the fix hints show them as
   * `NAME=value (default)`.
   */
  defaulted?: readonly string[] | undefined;
}

export interface HealthReport {
  warnings: string[];
  fatal: string[];
}

/** Python list repr: `['a', 'b']`. */
function pyList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

/** `NAME=value`, `NAME=value (default)` when it was not set, or `NAME not set`. */
function shown(name: string, value: string | undefined, options: HealthOptions): string {
  if (!value) return `${name} not set`;
  return `${name}=${value}${options.defaulted?.includes(name) ? ' (default)' : ''}`;
}

/**
 * Lines appended to the stateful-store finding (after Python's sentence, which stays as it
 * was): what was read, and the ways out from a shell.
 */
function storeRuleHint(settings: HealthSettings, options: HealthOptions, role: string): string {
  const redis = [
    settings.REDIS_HOST ? undefined : 'REDIS_HOST=<host>',
    settings.REDIS_PASSWORD ? undefined : 'REDIS_PASSWORD=<password>',
  ].filter((v) => v !== undefined);
  const lines = [
    `Read: ${shown('TOKEN_MODE', settings.TOKEN_MODE, options)}, ${shown('AUTH_SERVICE_ROLE', role, options)}, ${shown('REDIS_HOST', settings.REDIS_HOST, options)}, REDIS_PASSWORD ${settings.REDIS_PASSWORD ? 'set' : 'not set'}.`,
    'Fix, one of:',
    '  a store is passed in code (memory, Redis, PostgreSQL, MySQL): check-config --has-store (checkConfigHealth(settings, logger, { hasStore: true }) in code)',
    '  tokens need no revocation: TOKEN_MODE=stateless',
    `  revocation in Redis: ${redis.join(' ')}`,
  ];
  if (role === 'issuer' && options.defaulted?.includes('AUTH_SERVICE_ROLE')) {
    lines.push(
      '  a consumer (it only validates tokens): AUTH_SERVICE_ROLE=consumer TOKEN_MODE=stateless',
    );
  }
  return lines.map((line) => `\n  ${line}`).join('');
}

/** Where the rules put their findings: `escalate` is a warning, fatal under STRICT_PRODUCTION_MODE. */
interface Findings extends HealthReport {
  escalate(message: string): void;
}

/** What the rules read, resolved once (defaults as Python's getattr defaults). */
interface RuleInput {
  settings: HealthSettings;
  options: HealthOptions;
  strict: boolean;
  algorithm: string;
  jwksUri: string | undefined;
  role: string;
  environment: string;
  mode: string;
}

/** The findings without logging or throwing (what `checkConfigHealth` acts on). */
export function collectConfigFindings(
  settings: HealthSettings,
  options: HealthOptions = {},
): HealthReport {
  const strict = settings.STRICT_PRODUCTION_MODE ?? false;
  const findings: Findings = {
    warnings: [],
    fatal: [],
    escalate: (message) => (strict ? findings.fatal : findings.warnings).push(message),
  };
  const input: RuleInput = {
    settings,
    options,
    strict,
    algorithm: settings.ACCESS_TOKEN_ALGORITHM,
    jwksUri: settings.JWKS_URI || undefined,
    role: settings.AUTH_SERVICE_ROLE ?? 'issuer',
    environment: settings.ENVIRONMENT ?? 'local',
    mode: settings.TOKEN_MODE,
  };
  for (const rules of [keySourceRules, serviceRoleRules, storeRule, productionRules, strictRules]) {
    rules(input, findings);
  }
  rateLimitRules(input, findings);
  const { warnings, fatal } = findings;
  return { warnings, fatal };
}

/** JWT key sources. */
function keySourceRules({ settings, algorithm, jwksUri }: RuleInput, f: Findings): void {
  if (algorithm !== 'HS256' && !settings.ACCESS_PUBLIC_KEY && !jwksUri) {
    f.fatal.push(
      `CONFIG: ACCESS_TOKEN_ALGORITHM=${algorithm} but neither ACCESS_PUBLIC_KEY_FILE nor JWKS_URI is set — token validation will fail at runtime`,
    );
  }
  if (jwksUri && algorithm === 'HS256') {
    f.warnings.push(
      'CONFIG: JWKS_URI is set but ACCESS_TOKEN_ALGORITHM=HS256 — JWKS is only meaningful for asymmetric algorithms (RS256, ES256). Remove JWKS_URI or switch the algorithm.',
    );
  }
  const ttl = settings.JWKS_CACHE_TTL_SECONDS ?? 300;
  if (jwksUri && ttl < 30) {
    f.warnings.push(
      `CONFIG: JWKS_CACHE_TTL_SECONDS=${ttl} is very low — the JWKS endpoint will be fetched on nearly every request. Recommended minimum: 30 s; default: 300 s.`,
    );
  }
}

/** Issuer or consumer: who holds which key. */
function serviceRoleRules(input: RuleInput, f: Findings): void {
  const { settings, options, algorithm, jwksUri, role, mode } = input;
  if (role === 'consumer' && settings.ACCESS_PRIVATE_KEY_FILE) {
    f.fatal.push(
      'CONFIG: AUTH_SERVICE_ROLE=consumer services must not hold a signing private key. Remove ACCESS_PRIVATE_KEY_FILE — consumers validate tokens via JWKS or a static public key only.',
    );
  }
  if (role === 'issuer' && algorithm !== 'HS256' && !settings.ACCESS_PRIVATE_KEY_FILE) {
    const roleDefaulted = options.defaulted?.includes('AUTH_SERVICE_ROLE') ?? false;
    f.fatal.push(
      `CONFIG: AUTH_SERVICE_ROLE=issuer with ${algorithm} requires ACCESS_PRIVATE_KEY_FILE — issuers must hold the signing key to issue tokens.${
        roleDefaulted
          ? '\n  AUTH_SERVICE_ROLE=issuer (default): a service that only validates tokens sets AUTH_SERVICE_ROLE=consumer.'
          : ''
      }`,
    );
  }
  if (role === 'issuer' && jwksUri) {
    f.escalate(
      'CONFIG: AUTH_SERVICE_ROLE=issuer has JWKS_URI set — issuers validate tokens using their own key material, not a remote JWKS. Remove JWKS_URI unless this service also consumes tokens from another issuer.',
    );
  }
  if (role === 'consumer' && mode === 'stateless' && settings.DB_HOST) {
    f.warnings.push(
      `CONFIG: AUTH_SERVICE_ROLE=consumer with TOKEN_MODE=stateless but DB_HOST='${settings.DB_HOST}' is set — consumer services in stateless mode typically do not require a database. Remove DB_* settings if this service does not use the database directly.`,
    );
  }
}

/** A store for stateful/hybrid ("Redis required" in Python; any store counts here). */
function storeRule({ settings, options, role, mode }: RuleInput, f: Findings): void {
  const requiresStore = mode === 'stateful' || mode === 'hybrid';
  if (requiresStore && !options.hasStore && !(settings.REDIS_HOST && settings.REDIS_PASSWORD)) {
    f.fatal.push(
      `CONFIG: TOKEN_MODE=${mode} requires Redis for token revocation but REDIS_HOST or REDIS_PASSWORD is not configured — refresh token rotation and blacklisting are disabled (or pass a revocation/refresh store: memory, Redis, PostgreSQL or MySQL)${storeRuleHint(settings, options, role)}`,
    );
  }
}

/** The origins the production rules judge (invalid entries are loadSettings' business). */
function originsOf(settings: HealthSettings): readonly string[] {
  if (settings.ALLOWED_ORIGINS !== undefined) return settings.ALLOWED_ORIGINS;
  return typeof settings.BACKEND_CORS_ORIGINS === 'string'
    ? allowedOrigins(settings.BACKEND_CORS_ORIGINS, settings.FRONTEND_HOST, [])
    : [];
}

/** Production (and staging) exposure. */
function productionRules({ settings, environment, jwksUri }: RuleInput, f: Findings): void {
  if (environment === 'production') {
    const local = originsOf(settings).filter(
      (o) => o.includes('localhost') || o.includes('127.0.0.1'),
    );
    if (local.length > 0) {
      f.fatal.push(
        `CONFIG: ENVIRONMENT=production but ALLOWED_ORIGINS contains localhost entries ${pyList(local)} — remove all localhost/127.0.0.1 origins before deploying to production.`,
      );
    }
    if (settings.SET_DOCS ?? true) {
      f.escalate(
        'CONFIG: ENVIRONMENT=production with SET_DOCS=true — Swagger UI is publicly accessible. Set SET_DOCS=false to disable it in production.',
      );
    }
    if (settings.SET_OPEN_API ?? true) {
      f.escalate(
        'CONFIG: ENVIRONMENT=production with SET_OPEN_API=true — OpenAPI schema endpoint is publicly accessible. Set SET_OPEN_API=false to disable it in production.',
      );
    }
    // Token boundary (Python 0.6.18).
    if (!settings.TOKEN_ISSUER || !settings.TOKEN_AUDIENCE) {
      f.escalate(
        'CONFIG: ENVIRONMENT=production without TOKEN_ISSUER and TOKEN_AUDIENCE — tokens of any issuer or audience signed with the same key are accepted. Set both.',
      );
    }
  }
  // JWKS over plain http outside local/development (Python HEAD).
  const staged = environment === 'staging' || environment === 'production';
  if (jwksUri !== undefined && /^http:\/\//i.test(jwksUri) && staged) {
    f.escalate(
      `CONFIG: JWKS_URI uses http:// in ENVIRONMENT=${environment} — keys fetched without TLS can be replaced in transit. Use https://.`,
    );
  }
}

/** STRICT_PRODUCTION_MODE's own rules. */
function strictRules({ settings, strict, environment }: RuleInput, f: Findings): void {
  if (strict && originsOf(settings).includes('*')) {
    f.fatal.push(
      "CONFIG: STRICT_PRODUCTION_MODE=true but ALLOWED_ORIGINS contains a wildcard ('*') origin — specify explicit origins instead.",
    );
  }
  if (strict && environment !== 'local' && settings.SESSION_COOKIE_SECURE === false) {
    f.fatal.push(
      `CONFIG: STRICT_PRODUCTION_MODE=true but SESSION_COOKIE_SECURE=false in ENVIRONMENT='${environment}' — set SESSION_COOKIE_SECURE=true to enforce the Secure cookie flag.`,
    );
  }
}

/** Requests per minute above which a limit is "highly permissive" (Python 1.x). */
const PERMISSIVE_RPM = { LOGIN: 5, REFRESH: 20 } as const;

/** Python 1.x `_check_rate_limit_config`: a warning for limits that barely limit. */
function rateLimitRules({ settings, mode }: RuleInput, f: Findings): void {
  for (const prefix of ['LOGIN', 'REFRESH'] as const) {
    if (prefix === 'REFRESH' && mode === 'stateless') continue; // no refresh tokens issued
    const requests = settings[`${prefix}_RATE_LIMIT_REQUESTS`];
    const window = settings[`${prefix}_RATE_LIMIT_WINDOW_MINUTES`];
    if (requests === undefined || window === undefined) continue;
    const rate = requests / window;
    if (rate > PERMISSIVE_RPM[prefix]) {
      f.warnings.push(
        `CONFIG: ${prefix}_RATE_LIMIT_REQUESTS=${requests} / ${prefix}_RATE_LIMIT_WINDOW_MINUTES=${window} → ${rate.toFixed(1)} req/min — rate limit is highly permissive and may weaken abuse protection.`,
      );
    }
  }
}

/**
 * Log every warning (`logger.warn`), then every fatal finding (`logger.error`), then throw one
 * `ConfigurationError('Fatal configuration errors detected during startup.', findings)`.
 * Returns the report when nothing is fatal.
 */
export function checkConfigHealth(
  settings: HealthSettings,
  logger: Logger,
  options: HealthOptions = {},
): HealthReport {
  const report = collectConfigFindings(settings, options);
  for (const message of report.warnings) logger.warn(message);
  for (const message of report.fatal) logger.error(message);
  if (report.fatal.length > 0) {
    throw new ConfigurationError(
      'Fatal configuration errors detected during startup.',
      report.fatal,
    );
  }
  return report;
}
