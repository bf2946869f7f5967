import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigurationError } from '../../../../lib/core/errors';
import { findDotenv } from '../../../../lib/core/settings/dotenv';
import { checkConfigHealth, collectConfigFindings } from '../../../../lib/core/settings/health';
import { loadCommonSettings, loadSettings } from '../../../../lib/core/settings/load';
import { authSettingsSchema } from '../../../../lib/core/settings/schema';
import { SecretValue } from '../../../../lib/core/settings/secret';

const VALID_KEY = 'Abcdef-1234_XYZ-abcdef-ghijkl-mnopqr-stuvwx';
const WRONG_KEY = 'Zyxwvu-9876_ABC-zyxwvu-tsrqpo-nmlkji-hgfedc';
const VALID_PASSWORD = 'MyPassw0rd!';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function pemFiles(kind: 'rsa2048' | 'rsa1024' | 'p256' | 'p384'): { priv: string; pub: string } {
  const { privateKey, publicKey } =
    kind === 'rsa2048' || kind === 'rsa1024'
      ? generateKeyPairSync('rsa', { modulusLength: kind === 'rsa2048' ? 2048 : 1024 })
      : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
  const priv = path.join(dir, `${kind}-private.pem`);
  const pub = path.join(dir, `${kind}-public.pem`);
  fs.writeFileSync(priv, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  fs.writeFileSync(pub, publicKey.export({ format: 'pem', type: 'spki' }));
  return { priv, pub };
}

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings({ env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return [...(err as ConfigurationError).findings];
  }
  return [];
}

const hs = { ACCESS_SECRET_KEY: VALID_KEY, REFRESH_SECRET_KEY: WRONG_KEY };

describe('loadSettings: names, defaults and rules of the Python CommonSettings', () => {
  it('takes URLs whose scheme is in capitals, as pydantic HttpUrl does, and still refuses other schemes', () => {
    const s = loadSettings({
      env: {
        ...hs,
        ACCESS_TOKEN_ALGORITHM: 'RS256',
        AUTH_SERVICE_ROLE: 'consumer',
        JWKS_URI: 'HTTPS://Auth.Example.com/jwks',
      },
    });
    expect(s.JWKS_URI).toBe('HTTPS://Auth.Example.com/jwks');
    expect(problems({ ...hs, JWKS_URI: 'ftp://auth.example.com/jwks' })).toEqual([
      'JWKS_URI must be an http(s) URL',
    ]);
    expect(problems({ ...hs, JWKS_URI: 'httpsx://auth.example.com/jwks' })).toEqual([
      'JWKS_URI must be an http(s) URL',
    ]);
  });

  it('applies the Python defaults and derives the mode flags', () => {
    const s = loadSettings({ env: hs });
    expect(s).toMatchObject({
      ACCESS_TOKEN_ALGORITHM: 'HS256',
      REFRESH_TOKEN_ALGORITHM: 'HS256',
      TOKEN_MODE: 'stateful',
      ACCESS_TOKEN_EXPIRE_MINUTES: 30,
      REFRESH_TOKEN_EXPIRE_MINUTES: 120,
      REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 3600,
      JWKS_CACHE_TTL_SECONDS: 300,
      AUTH_SERVICE_ROLE: 'issuer',
      SESSION_COOKIE_SECURE: true,
      REDIS_SSL: false,
      REFRESH_VALIDATION_FAILURE_MODE: 'fail_closed',
      SESSION_WRITE_FAILURE_MODE: 'fail_closed',
      RATE_LIMIT_FAILURE_MODE: 'fail_open',
      ACCESS_REVOCATION_FAILURE_MODE: 'fail_closed',
      isStateful: true,
      isStateless: false,
      requiresStore: true,
    });
    expect(Object.isFrozen(s)).toBe(true);
    expect(s.ACCESS_SECRET_KEY).toBeInstanceOf(SecretValue);
    expect(s.ACCESS_SECRET_KEY?.reveal()).toBe(VALID_KEY);
  });

  it('parses booleans and integers from strings and names the variable when they are wrong', () => {
    expect(
      loadSettings({
        env: { ...hs, SESSION_COOKIE_SECURE: 'false', JWKS_CACHE_TTL_SECONDS: '60' },
      }),
    ).toMatchObject({ SESSION_COOKIE_SECURE: false, JWKS_CACHE_TTL_SECONDS: 60 });
    expect(
      problems({ ...hs, SESSION_COOKIE_SECURE: 'maybe', REDIS_PORT: 'abc', TOKEN_MODE: 'weird' }),
    ).toEqual([
      'TOKEN_MODE must be one of stateless, stateful, hybrid',
      'SESSION_COOKIE_SECURE must be true or false',
      'REDIS_PORT must be a number',
    ]);
  });

  it('refuses a non-HS256 refresh algorithm, also through the deprecated TOKEN_ALGORITHM', () => {
    const message =
      'REFRESH_TOKEN_ALGORITHM must be HS256. Refresh tokens are internal and must use symmetric signing.';
    expect(problems({ ...hs, REFRESH_TOKEN_ALGORITHM: 'RS256' })).toContain(message);
    const { priv, pub } = pemFiles('rsa2048');
    expect(
      problems({
        ...hs,
        TOKEN_ALGORITHM: 'RS256',
        ACCESS_PRIVATE_KEY_FILE: priv,
        ACCESS_PUBLIC_KEY_FILE: pub,
      }),
    ).toContain(message);
  });

  it('needs ACCESS_SECRET_KEY for HS256 and a public key source otherwise', () => {
    expect(problems({ REFRESH_SECRET_KEY: VALID_KEY })).toEqual([
      'ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256',
    ]);
    expect(problems({ ACCESS_TOKEN_ALGORITHM: 'RS256' })[0]).toMatch(
      /requires a public key source/,
    );
    expect(
      problems({
        ACCESS_TOKEN_ALGORITHM: 'ES256',
        JWKS_URI: 'https://auth.example.com/.well-known/jwks.json',
      }),
    ).toEqual([]);
  });

  it('loads PEM material only from the *_FILE paths, with the Python messages for missing files', () => {
    expect(
      problems({ ACCESS_TOKEN_ALGORITHM: 'RS256', ACCESS_PRIVATE_KEY_FILE: '/nope/private.pem' }),
    ).toContain('ACCESS_PRIVATE_KEY_FILE not found: /nope/private.pem');
    expect(
      problems({ ACCESS_TOKEN_ALGORITHM: 'RS256', ACCESS_PUBLIC_KEY_FILE: '/nope/public.pem' }),
    ).toContain('ACCESS_PUBLIC_KEY_FILE not found: /nope/public.pem');
    const { priv } = pemFiles('p256');
    const s = loadSettings({
      env: { ACCESS_TOKEN_ALGORITHM: 'ES256', ACCESS_PRIVATE_KEY_FILE: priv },
    });
    expect(s.ACCESS_PRIVATE_KEY?.reveal()).toContain('BEGIN PRIVATE KEY');
    expect(s.ACCESS_PUBLIC_KEY).toContain('BEGIN PUBLIC KEY'); // derived from the private key
  });

  it('enforces key strength: RSA >= 2048 bits, EC P-256 only, the right key type', () => {
    expect(
      problems({
        ACCESS_TOKEN_ALGORITHM: 'RS256',
        ACCESS_PUBLIC_KEY_FILE: pemFiles('rsa1024').pub,
      }).join(),
    ).toMatch(/RS256 requires a minimum 2048-bit RSA key; loaded key is 1024 bits/);
    expect(
      problems({
        ACCESS_TOKEN_ALGORITHM: 'ES256',
        ACCESS_PRIVATE_KEY_FILE: pemFiles('p384').priv,
      }).join(),
    ).toMatch(/ES256 requires a P-256 \(secp256r1\) EC curve; loaded key uses SECP384R1/);
    expect(
      problems({
        ACCESS_TOKEN_ALGORITHM: 'RS256',
        ACCESS_PUBLIC_KEY_FILE: pemFiles('p256').pub,
      }).join(),
    ).toMatch(/RS256 requires an RSA key/);
    const garbage = path.join(dir, 'garbage.pem');
    fs.writeFileSync(garbage, 'not a key');
    expect(
      problems({ ACCESS_TOKEN_ALGORITHM: 'ES256', ACCESS_PUBLIC_KEY_FILE: garbage }).join(),
    ).toMatch(/Cannot parse PEM key material/);
  });

  it('refuses weak secrets and passwords, and changethis in any case (also the old refresh key)', () => {
    expect(problems({ ACCESS_SECRET_KEY: 'tooshortkey', REFRESH_SECRET_KEY: VALID_KEY })).toEqual([
      'ACCESS_SECRET_KEY must be a valid secret key: at least 32 characters of A-Z a-z 0-9 - _ with a lower-case letter, an upper-case letter, a digit and a - or _.',
    ]);
    expect(problems({ ...hs, REDIS_PASSWORD: 'weakpass' })).toEqual([
      'REDIS_PASSWORD must be a strong password: 8+ chars, upper, lower, digit, special char.',
    ]);
    expect(problems({ ...hs, REFRESH_SECRET_KEY_OLD: ' ChangeThis ' })).toEqual([
      "Insecure default value for 'REFRESH_SECRET_KEY_OLD'. Set a strong unique value.",
    ]);
    expect(problems({ ...hs, REDIS_PASSWORD: VALID_PASSWORD })).toEqual([]);
  });

  it('never shows a secret in errors, JSON.stringify, util.inspect or String()', () => {
    const secret = 'Leaky-Secret_0123456789-ABCDEFGHIJKLMNOP';
    const s = loadSettings({
      env: {
        ACCESS_SECRET_KEY: secret,
        REFRESH_SECRET_KEY: VALID_KEY,
        REDIS_PASSWORD: 'Sup3r$ecretPassw0rd',
      },
    });
    expect(JSON.stringify(s)).not.toContain(secret);
    expect(inspect(s, { depth: 5 })).not.toContain(secret);
    expect(`${String(s.ACCESS_SECRET_KEY)}`).not.toContain(secret);
    expect(JSON.stringify(s)).not.toContain('Sup3r$ecretPassw0rd');
    try {
      loadSettings({
        env: {
          ACCESS_SECRET_KEY: 'short-secret-value',
          REDIS_PASSWORD: 'weak-leaky-password',
          REDIS_PORT: 'weak-leaky-password',
        },
      });
      throw new Error('should have failed');
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret-value');
      expect((err as Error).message).not.toContain('weak-leaky-password');
      expect((err as Error).message).toMatch(/ACCESS_SECRET_KEY/);
    }
  });

  it('reads secrets from NAME_FILE and fails closed when that file is missing', () => {
    const file = path.join(dir, 'access-secret');
    fs.writeFileSync(file, `${VALID_KEY}\n`);
    expect(
      loadSettings({ env: { ACCESS_SECRET_KEY_FILE: file } }).ACCESS_SECRET_KEY?.reveal(),
    ).toBe(VALID_KEY);
    expect(problems({ ACCESS_SECRET_KEY_FILE: '/nope/secret' })).toContain(
      'ACCESS_SECRET_KEY_FILE points to a missing file: /nope/secret',
    );
  });

  it('merges a .env under the process env (process env wins) and finds .env by walking up', () => {
    const project = path.join(dir, 'project');
    const nested = path.join(project, 'a', 'b');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(
      path.join(project, '.env'),
      `ACCESS_SECRET_KEY=${VALID_KEY}\nTOKEN_MODE=hybrid\nTOKEN_ISSUER=from-dotenv\n`,
    );
    expect(findDotenv(nested)).toBe(path.join(project, '.env'));
    expect(findDotenv(path.parse(dir).root)).toBeUndefined();
    const s = loadSettings({
      envFile: path.join(project, '.env'),
      env: { TOKEN_ISSUER: 'from-env' },
    });
    expect(s).toMatchObject({
      TOKEN_MODE: 'hybrid',
      TOKEN_ISSUER: 'from-env',
      requiresStore: true,
    });
  });

  it('accepts a service schema extension and keeps its variables', () => {
    const schema = authSettingsSchema.keys({
      MY_FEATURE_FLAG: authSettingsSchema.extract('METRICS_ENABLED') as never,
    });
    const s = loadSettings<ReturnType<typeof loadSettings> & { MY_FEATURE_FLAG: boolean }>({
      env: { ...hs, MY_FEATURE_FLAG: 'yes', UNRELATED: 'x' },
      schema,
    });
    expect(s.MY_FEATURE_FLAG).toBe(true);
    expect((s as unknown as Record<string, unknown>).UNRELATED).toBeUndefined();
  });

  it('full CommonSettings: required fields, CORS parsing and ALLOWED_ORIGINS, masked DATABASE_URI', () => {
    const env = {
      ...hs,
      DOMAIN: 'example.com',
      ENVIRONMENT: 'local',
      API_PREFIX: '/api/v1',
      PROJECT_NAME: 'my_project',
      STACK_NAME: 'my-stack',
      BACKEND_HOST: 'http://localhost:8000',
      FRONTEND_HOST: 'http://localhost:3000/',
      BACKEND_CORS_ORIGINS: 'http://localhost:5173/, https://app.example.com',
      DB_HOST: 'localhost',
      DB_PORT: '5432',
      DB_DATABASE: 'app',
      DB_USER: 'app',
      DB_PASSWORD: VALID_PASSWORD,
      SELECTED_DB: 'Postgres',
    };
    const s = loadCommonSettings({ env });
    expect(s.ALLOWED_ORIGINS).toEqual([
      'http://localhost:5173',
      'https://app.example.com',
      'http://localhost:3000',
    ]);
    expect(s.DATABASE_URI.reveal()).toBe(
      'postgresql://app:MyPassw0rd!@localhost:5432/app'.replace('!', '%21'),
    );
    expect(JSON.stringify(s)).not.toContain(VALID_PASSWORD);
    expect(() =>
      loadCommonSettings({ env: { ...env, BACKEND_CORS_ORIGINS: 'not-a-url' } }),
    ).toThrow("Invalid host in BACKEND_CORS_ORIGINS: 'not-a-url'");
    expect(() => loadCommonSettings({ env: { ...env, BACKEND_CORS_ORIGINS: '   ,   ' } })).toThrow(
      'BACKEND_CORS_ORIGINS must contain at least one valid origin',
    );
    expect(() => loadCommonSettings({ env: { ...hs } })).toThrow(/DOMAIN is required/);
  });
});

describe('checkConfigHealth (the Python rules)', () => {
  const ok = { ACCESS_TOKEN_ALGORITHM: 'HS256', TOKEN_MODE: 'stateless' };
  const logger = (): { warn: jest.Mock; error: jest.Mock } => ({
    warn: jest.fn(),
    error: jest.fn(),
  });

  it('logs nothing for a clean config', () => {
    const log = logger();
    expect(checkConfigHealth(ok, log)).toEqual({ warnings: [], fatal: [] });
    expect(log.warn).not.toHaveBeenCalled();
  });

  it.each([
    [
      { ACCESS_TOKEN_ALGORITHM: 'RS256', ACCESS_PRIVATE_KEY_FILE: 'k' },
      'fatal',
      'neither ACCESS_PUBLIC_KEY_FILE nor JWKS_URI is set',
    ],
    [{ JWKS_URI: 'https://a/jwks' }, 'warning', 'JWKS_URI is set but ACCESS_TOKEN_ALGORITHM=HS256'],
    [
      { JWKS_URI: 'https://a/jwks', JWKS_CACHE_TTL_SECONDS: 5 },
      'warning',
      'JWKS_CACHE_TTL_SECONDS=5 is very low',
    ],
    [
      { AUTH_SERVICE_ROLE: 'consumer', ACCESS_PRIVATE_KEY_FILE: 'k' },
      'fatal',
      'must not hold a signing private key',
    ],
    [
      { ACCESS_TOKEN_ALGORITHM: 'ES256', ACCESS_PUBLIC_KEY: 'pem' },
      'fatal',
      'AUTH_SERVICE_ROLE=issuer with ES256 requires ACCESS_PRIVATE_KEY_FILE',
    ],
    [{ JWKS_URI: 'https://a/jwks' }, 'warning', 'AUTH_SERVICE_ROLE=issuer has JWKS_URI set'],
    [
      { JWKS_URI: 'https://a/jwks', STRICT_PRODUCTION_MODE: true },
      'fatal',
      'AUTH_SERVICE_ROLE=issuer has JWKS_URI set',
    ],
    [{ AUTH_SERVICE_ROLE: 'consumer', DB_HOST: 'db' }, 'warning', "DB_HOST='db' is set"],
    [{ TOKEN_MODE: 'hybrid' }, 'fatal', 'TOKEN_MODE=hybrid requires Redis for token revocation'],
    [
      {
        ENVIRONMENT: 'production',
        ALLOWED_ORIGINS: ['http://localhost:3000'],
        SET_DOCS: false,
        SET_OPEN_API: false,
        TOKEN_ISSUER: 'i',
        TOKEN_AUDIENCE: 'a',
      },
      'fatal',
      "ALLOWED_ORIGINS contains localhost entries ['http://localhost:3000']",
    ],
    [
      { ENVIRONMENT: 'production', TOKEN_ISSUER: 'i', TOKEN_AUDIENCE: 'a', SET_OPEN_API: false },
      'warning',
      'SET_DOCS=true — Swagger UI',
    ],
    [
      { ENVIRONMENT: 'production', TOKEN_ISSUER: 'i', TOKEN_AUDIENCE: 'a', SET_DOCS: false },
      'warning',
      'SET_OPEN_API=true — OpenAPI',
    ],
    [
      {
        ENVIRONMENT: 'production',
        STRICT_PRODUCTION_MODE: true,
        TOKEN_ISSUER: 'i',
        TOKEN_AUDIENCE: 'a',
        SET_DOCS: false,
      },
      'fatal',
      'SET_OPEN_API=true — OpenAPI',
    ],
    [{ STRICT_PRODUCTION_MODE: true, ALLOWED_ORIGINS: ['*'] }, 'fatal', "wildcard ('*') origin"],
    [
      { STRICT_PRODUCTION_MODE: true, ENVIRONMENT: 'staging', SESSION_COOKIE_SECURE: false },
      'fatal',
      "SESSION_COOKIE_SECURE=false in ENVIRONMENT='staging'",
    ],
    [
      { ENVIRONMENT: 'production', SET_DOCS: false, SET_OPEN_API: false },
      'warning',
      'without TOKEN_ISSUER and TOKEN_AUDIENCE',
    ],
    [
      {
        ACCESS_TOKEN_ALGORITHM: 'RS256',
        AUTH_SERVICE_ROLE: 'consumer',
        ENVIRONMENT: 'staging',
        JWKS_URI: 'http://auth/jwks',
      },
      'warning',
      'JWKS_URI uses http://',
    ],
    [
      {
        ACCESS_TOKEN_ALGORITHM: 'RS256',
        AUTH_SERVICE_ROLE: 'consumer',
        ENVIRONMENT: 'production',
        JWKS_URI: 'HTTP://auth/jwks',
      },
      'warning',
      'JWKS_URI uses http://',
    ],
  ] as const)('%j → %s containing "%s"', (extra, severity, text) => {
    const report = collectConfigFindings({ ...ok, ...extra } as never);
    const list = severity === 'fatal' ? report.fatal : report.warnings;
    expect(list.some((m) => m.includes(text))).toBe(true);
    expect(list.every((m) => m.startsWith('CONFIG: '))).toBe(true);
  });

  it('allows SESSION_COOKIE_SECURE=false in local even under strict mode, and a passed store satisfies stateful', () => {
    expect(
      collectConfigFindings({ ...ok, STRICT_PRODUCTION_MODE: true, SESSION_COOKIE_SECURE: false })
        .fatal,
    ).toEqual([]);
    expect(
      collectConfigFindings({ ...ok, TOKEN_MODE: 'stateful' }, { hasStore: true }).fatal,
    ).toEqual([]);
  });

  it('the stateful-store finding keeps the Python sentence first, then what was read and the fixes', () => {
    const python =
      'CONFIG: TOKEN_MODE=stateful requires Redis for token revocation but REDIS_HOST or REDIS_PASSWORD is not configured — refresh token rotation and blacklisting are disabled';
    const [plain] = collectConfigFindings({ ...ok, TOKEN_MODE: 'stateful' }).fatal;
    expect(plain?.split('\n')[0]).toContain(python);
    expect(plain).toContain(
      'Read: TOKEN_MODE=stateful, AUTH_SERVICE_ROLE=issuer, REDIS_HOST not set',
    );
    expect(plain).not.toContain('(default)');
    expect(plain).not.toContain('AUTH_SERVICE_ROLE=consumer');
    const [defaulted] = collectConfigFindings(
      { ...ok, TOKEN_MODE: 'stateful', REDIS_HOST: 'redis' },
      { defaulted: ['TOKEN_MODE', 'AUTH_SERVICE_ROLE'] },
    ).fatal;
    expect(defaulted).toContain(
      'Read: TOKEN_MODE=stateful (default), AUTH_SERVICE_ROLE=issuer (default), REDIS_HOST=redis, REDIS_PASSWORD not set.',
    );
    expect(defaulted).toContain('revocation in Redis: REDIS_PASSWORD=<password>\n');
    expect(defaulted).toContain('AUTH_SERVICE_ROLE=consumer TOKEN_MODE=stateless');
    const [issuer] = collectConfigFindings(
      { ...ok, ACCESS_TOKEN_ALGORITHM: 'ES256', ACCESS_PUBLIC_KEY: 'pem' },
      { defaulted: ['AUTH_SERVICE_ROLE'] },
    ).fatal;
    expect(issuer).toBe(
      'CONFIG: AUTH_SERVICE_ROLE=issuer with ES256 requires ACCESS_PRIVATE_KEY_FILE — issuers must hold the signing key to issue tokens.\n  AUTH_SERVICE_ROLE=issuer (default): a service that only validates tokens sets AUTH_SERVICE_ROLE=consumer.',
    );
  });

  it('logs warnings first, then every fatal finding, then throws one ConfigurationError', () => {
    const order: string[] = [];
    const log = {
      warn: (m: string) => order.push(`warn ${m.slice(8, 20)}`),
      error: (m: string) => order.push(`error ${m.slice(8, 20)}`),
    };
    let thrown: unknown;
    try {
      checkConfigHealth(
        {
          ...ok,
          TOKEN_MODE: 'stateful',
          JWKS_URI: 'https://a/jwks',
          AUTH_SERVICE_ROLE: 'consumer',
          ACCESS_PRIVATE_KEY_FILE: 'k',
        },
        log,
      );
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toBe('Fatal configuration errors detected during startup.');
    expect((thrown as ConfigurationError).findings).toHaveLength(2);
    expect(order.findIndex((l) => l.startsWith('error'))).toBeGreaterThan(
      order.findLastIndex((l) => l.startsWith('warn')),
    );
  });

  it('warns, as Python 1.x, when a login or refresh limit barely limits', () => {
    const base = { ACCESS_TOKEN_ALGORITHM: 'HS256', TOKEN_MODE: 'stateless' };
    const loose = {
      ...base,
      LOGIN_RATE_LIMIT_REQUESTS: 100,
      LOGIN_RATE_LIMIT_WINDOW_MINUTES: 10,
      REFRESH_RATE_LIMIT_REQUESTS: 500,
      REFRESH_RATE_LIMIT_WINDOW_MINUTES: 5,
    };
    expect(collectConfigFindings(loose).warnings).toEqual([
      'CONFIG: LOGIN_RATE_LIMIT_REQUESTS=100 / LOGIN_RATE_LIMIT_WINDOW_MINUTES=10 → 10.0 req/min — rate limit is highly permissive and may weaken abuse protection.',
    ]); // stateless: no refresh tokens, so no refresh rule
    const stateful = collectConfigFindings(
      { ...loose, TOKEN_MODE: 'stateful' },
      { hasStore: true },
    );
    expect(stateful.warnings).toHaveLength(2);
    const defaults = { ...base, LOGIN_RATE_LIMIT_REQUESTS: 5, LOGIN_RATE_LIMIT_WINDOW_MINUTES: 15 };
    expect(collectConfigFindings(defaults).warnings).toEqual([]);
  });
});
