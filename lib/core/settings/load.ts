/**
 * `loadSettings`: env + `.env` → validated, frozen settings with the Python rules. Every
 * problem is collected into one `ConfigurationError` naming the variable; no secret value
 * ever appears in a message.
 */
import fs from 'node:fs';
import type Joi from 'joi';
import { ConfigurationError } from '../errors';
import { findDotenv, readDotenv } from './dotenv';
import { applyModelRules } from './model-rules';
import { authSettingsSchema, commonSettingsSchema, SECRET_FIELDS } from './schema';
import { DEFAULT_SECRETS_DIR, readSecretsDir } from './secrets-dir';
import { SecretValue } from './secret';
import type { AuthSettings, CommonSettings } from './types';
import { DEFAULT_VAULT_TIMEOUT_MS, readVaultSecrets, vaultAccess, vaultRequested } from './vault';

export { parseCors } from './origins';

export interface LoadSettingsOptions {
  /**
   * `.env` files, later ones winning over earlier ones (e.g. `['fleet.env', 'service.env']`),
   * or `false` for none. Default: the nearest `.env` above `cwd`, only when `env` is not given.
   * A listed file that cannot be read is a problem.
   */
  envFile?: string | readonly string[] | false | undefined;
  /** Variables to read instead of `process.env` (tests, embedding). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Values that win over every source (Python's init arguments). */
  values?: Readonly<Record<string, string | number | boolean | undefined>> | undefined;
  /**
   * Docker secrets directory: one file per variable name. Default `/run/secrets`, only when
   * `env` is not given; `false` for none. A missing directory is fine.
   */
  secretsDir?: string | false | undefined;
  /** Default `authSettingsSchema`; pass `commonSettingsSchema` or your extension of either. */
  schema?: Joi.ObjectSchema | undefined;
  /** Where the `.env` search starts. Default `process.cwd()`. */
  cwd?: string | undefined;
}

export interface LoadSettingsAsyncOptions extends LoadSettingsOptions {
  /** How long Vault may take to answer, in milliseconds. Default 5000. */
  vaultTimeoutMs?: number | undefined;
}

/**
 * Load settings. Sources, strongest first: `values`, `NAME_FILE` secrets, the process env,
 * the `.env` files (the last listed wins), the Docker secrets directory. The process env wins
 * over `.env` (the Node convention; Python let `.env` win). `NAME_FILE` supplies any secret
 * from a file; a missing file fails. SECRET_PROVIDER=vault needs `loadSettingsAsync`.
 */
export function loadSettings<T extends AuthSettings = AuthSettings>(
  options: LoadSettingsOptions = {},
): Readonly<T> {
  const problems: string[] = [];
  const { raw } = collectRaw(options, problems);
  if (vaultRequested(raw)) {
    problems.push(
      'SECRET_PROVIDER=vault: secrets are read from Vault over HTTP, which the synchronous loadSettings cannot do — use `await loadSettingsAsync()`',
    );
  }
  return finish<T>(raw, options, problems);
}

/**
 * `loadSettings` plus HashiCorp Vault: with SECRET_PROVIDER=vault in ENVIRONMENT production or
 * staging, ACCESS_SECRET_KEY, DB_PASSWORD and REDIS_PASSWORD not given by any other source are
 * read from the KV v2 secret `secret/data/app` (VAULT_ADDR, VAULT_TOKEN or the `vault_token`
 * file of the secrets directory). Vault that cannot be read fails the load.
 */
export async function loadSettingsAsync<T extends AuthSettings = AuthSettings>(
  options: LoadSettingsAsyncOptions = {},
): Promise<Readonly<T>> {
  const problems: string[] = [];
  const { raw, secretsDir } = collectRaw(options, problems);
  if (vaultRequested(raw)) {
    const access = vaultAccess(raw, secretsDir, problems);
    if (access !== undefined) {
      const timeoutMs = options.vaultTimeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS;
      const fromVault = await readVaultSecrets(access, timeoutMs, problems);
      // Vault is the weakest source: it fills only what nothing else gave.
      for (const [name, value] of Object.entries(fromVault)) raw[name] ??= value;
    }
  }
  return finish<T>(raw, options, problems);
}

/** Shortcut for the full Python `CommonSettings` set (`commonSettingsSchema`). */
export function loadCommonSettings(options: LoadSettingsOptions = {}): Readonly<CommonSettings> {
  return loadSettings<CommonSettings>({ schema: commonSettingsSchema, ...options });
}

function finish<T>(
  raw: Record<string, string>,
  options: LoadSettingsOptions,
  problems: string[],
): Readonly<T> {
  const schema = options.schema ?? authSettingsSchema;
  const { value, error } = schema.validate(raw, {
    abortEarly: false,
    stripUnknown: true,
    convert: true,
  });
  if (error) for (const detail of error.details) problems.push(describe(detail));
  // Cross-field rules run even when a field failed, so one start reports every problem.
  applyModelRules(value as Record<string, unknown>, raw, problems);
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid settings:\n- ${problems.join('\n- ')}`, problems);
  }
  return freezeSettings(value as Record<string, unknown>) as unknown as Readonly<T>;
}

function collectRaw(
  options: LoadSettingsOptions,
  problems: string[],
): { raw: Record<string, string>; secretsDir: string | undefined } {
  const fromEnv = options.env ?? process.env;
  const defaults = options.env === undefined;
  const secretsDir =
    options.secretsDir === false
      ? undefined
      : (options.secretsDir ?? (defaults ? DEFAULT_SECRETS_DIR : undefined));
  const envFiles =
    options.envFile === false
      ? []
      : typeof options.envFile === 'string'
        ? [options.envFile]
        : (options.envFile ?? (defaults ? [findDotenv(options.cwd)].filter(isString) : []));

  // Weakest first; each later layer overrides.
  const names = Object.keys((options.schema ?? authSettingsSchema).describe().keys ?? {});
  const layers: Readonly<Record<string, string | undefined>>[] = [];
  if (secretsDir !== undefined) {
    layers.push(readSecretsDir(secretsDir, names, problems));
  }
  for (const file of envFiles) {
    try {
      // `${VAR}` falls back to the variables being loaded (python-dotenv uses os.environ).
      layers.push(readDotenv(file, fromEnv));
    } catch (err) {
      problems.push(
        `envFile ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  layers.push(fromEnv);
  const raw: Record<string, string> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(byName(layer, names))) {
      // An empty variable counts as unset (VAR= in a .env or compose file).
      if (typeof value === 'string' && value.trim() !== '') raw[key] = value;
    }
  }
  const values = options.values ?? {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && String(value).trim() !== '') raw[key] = String(value);
  }
  for (const name of SECRET_FIELDS) {
    const file = raw[`${name}_FILE`];
    // An init value beats a NAME_FILE; a NAME_FILE beats every other source.
    if (file === undefined || values[name] !== undefined) continue;
    try {
      raw[name] = fs.readFileSync(file, 'utf8').trim();
    } catch {
      problems.push(`${name}_FILE points to a missing file: ${file}`);
    }
  }
  return { raw, secretsDir };
}

/**
 * A layer with its settings found case-insensitively, as pydantic-settings does (`domain=…`
 * in a shared `.env` sets DOMAIN for Python): a name's exact spelling first, else the first
 * variable that matches it ignoring case. Other variables are kept as they are.
 */
function byName(
  layer: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): Readonly<Record<string, string | undefined>> {
  const byLower = new Map<string, string>();
  for (const key of Object.keys(layer)) {
    if (!byLower.has(key.toLowerCase())) byLower.set(key.toLowerCase(), key);
  }
  let out: Record<string, string | undefined> | undefined;
  for (const name of names) {
    if (Object.hasOwn(layer, name)) continue;
    const key = byLower.get(name.toLowerCase());
    if (key === undefined) continue;
    out ??= { ...layer };
    out[name] = layer[key];
  }
  return out ?? layer;
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

function describe(detail: Joi.ValidationErrorItem): string {
  const name = String(detail.context?.key ?? detail.path.join('.'));
  const ctx = detail.context ?? {};
  switch (detail.type) {
    case 'any.required':
      return `${name} is required`;
    case 'any.only':
      return `${name} must be one of ${(ctx.valids as unknown[] | undefined)?.join(', ') ?? 'the allowed values'}`;
    case 'boolean.base':
      return `${name} must be true or false`;
    case 'number.base':
      return `${name} must be a number`;
    case 'number.integer':
      return `${name} must be a whole number`;
    case 'number.min':
      return `${name} must be at least ${String(ctx.limit)}`;
    case 'number.max':
      return `${name} must be at most ${String(ctx.limit)}`;
    case 'string.uri':
    case 'string.uriCustomScheme':
      return `${name} must be an http(s) URL`;
    case 'string.email':
      return `${name} must be an email address`;
    case 'string.pattern.base':
      return `${name} has an invalid format`;
    default:
      return `${name} is invalid (${detail.type})`;
  }
}

function freezeSettings(s: Record<string, unknown>): Record<string, unknown> {
  for (const name of [...SECRET_FIELDS, 'ACCESS_PRIVATE_KEY']) {
    if (typeof s[name] === 'string') s[name] = new SecretValue(s[name] as string);
  }
  const mode = s.TOKEN_MODE;
  s.isStateless = mode === 'stateless';
  s.isStateful = mode === 'stateful';
  s.requiresStore = mode === 'stateful' || mode === 'hybrid';
  if (typeof s.DB_HOST === 'string' && s.DB_PASSWORD instanceof SecretValue) {
    const scheme = s.SELECTED_DB === 'Postgres' ? 'postgresql' : 'mysql';
    const user = quotePlus(String(s.DB_USER));
    const password = quotePlus(s.DB_PASSWORD.reveal());
    s.DATABASE_URI = new SecretValue(
      `${scheme}://${user}:${password}@${s.DB_HOST}:${String(s.DB_PORT)}/${String(s.DB_DATABASE)}`,
    );
  }
  if ('SMTP_HOST' in s || 'EMAILS_FROM_EMAIL' in s || 'EMAIL_TEST_USER' in s) {
    s.emailsEnabled = Boolean(s.SMTP_HOST && s.EMAILS_FROM_EMAIL);
  }
  return Object.freeze(s);
}

/** Python `quote_plus`-like escaping for URI userinfo (`!'()*` too, unlike encodeURIComponent). */
function quotePlus(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
