import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../../../lib/core/errors';
import { collectConfigFindings } from '../../../../lib/core/settings/health';
import { loadSettings, loadSettingsAsync } from '../../../../lib/core/settings/load';

const VALID_KEY = 'Abcdef-1234_XYZ-abcdef-ghijkl-mnopqr-stuvwx';
const WRONG_KEY = 'Zyxwvu-9876_ABC-zyxwvu-tsrqpo-nmlkji-hgfedc';
const hs = { ACCESS_SECRET_KEY: VALID_KEY, REFRESH_SECRET_KEY: WRONG_KEY };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-sources-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return [...(err as ConfigurationError).findings];
  }
  return [];
}

describe('.env read as pydantic-settings reads it', () => {
  it('keeps `#` inside an unquoted password and interpolates ${VAR} from the file and the env', () => {
    const file = write(
      'python.env',
      [
        `ACCESS_SECRET_KEY=${VALID_KEY}`,
        `REFRESH_SECRET_KEY="${WRONG_KEY}" # quoted, with a comment`,
        'REDIS_PASSWORD=Str0ng!Passw0rd#2026',
        'REDIS_HOST=${REDIS_HOST_FROM_ENV:-localhost}',
        'TOKEN_ISSUER=${ISSUER_BASE}/auth',
        'TOKEN_AUDIENCE=${TOKEN_ISSUER}-api',
      ].join('\n'),
    );
    const s = loadSettings({ envFile: file, env: { ISSUER_BASE: 'https://id.example.com' } });
    expect(s.REDIS_PASSWORD?.reveal()).toBe('Str0ng!Passw0rd#2026');
    expect(s.REFRESH_SECRET_KEY?.reveal()).toBe(WRONG_KEY);
    expect(s.REDIS_HOST).toBe('localhost');
    expect(s.TOKEN_ISSUER).toBe('https://id.example.com/auth');
    expect(s.TOKEN_AUDIENCE).toBe('https://id.example.com/auth-api');
  });

  it('finds names whatever their case (pydantic-settings is case-insensitive), exact spelling first', () => {
    const file = write(
      'lower.env',
      [
        `access_secret_key=${VALID_KEY}`,
        `Refresh_Secret_Key=${WRONG_KEY}`,
        'strict_production_mode=true',
        'token_mode=stateless',
        'TOKEN_MODE=hybrid',
      ].join('\n'),
    );
    const s = loadSettings({ envFile: file, env: { token_issuer: 'https://id.example.com' } });
    expect(s.ACCESS_SECRET_KEY?.reveal()).toBe(VALID_KEY);
    expect(s.REFRESH_SECRET_KEY?.reveal()).toBe(WRONG_KEY);
    expect(s.STRICT_PRODUCTION_MODE).toBe(true);
    expect(s.TOKEN_MODE).toBe('hybrid');
    expect(s.TOKEN_ISSUER).toBe('https://id.example.com');
    // The process env still wins over the file, whatever the spelling in either.
    expect(loadSettings({ envFile: file, env: { Token_Mode: 'stateful' } }).TOKEN_MODE).toBe(
      'stateful',
    );
  });
});

describe('boolean settings take every spelling pydantic accepts', () => {
  it.each([
    ['t', true],
    ['T', true],
    ['y', true],
    ['Y', true],
    ['yes', true],
    ['On', true],
    ['1', true],
    ['TRUE', true],
    ['f', false],
    ['F', false],
    ['n', false],
    ['N', false],
    ['No', false],
    ['off', false],
    ['0', false],
    ['False', false],
  ])('%s → %s', (text, expected) => {
    expect(
      loadSettings({ env: { ...hs, SESSION_COOKIE_SECURE: text } }).SESSION_COOKIE_SECURE,
    ).toBe(expected);
    expect(loadSettings({ env: { ...hs, REDIS_SSL: text } }).REDIS_SSL).toBe(expected);
  });

  it.each(['2', 'tru', 'yess', ' true', 'false ', 'enabled'])('refuses %j', (text) => {
    expect(problems(() => loadSettings({ env: { ...hs, SESSION_COOKIE_SECURE: text } }))).toEqual([
      'SESSION_COOKIE_SECURE must be true or false',
    ]);
  });
});

describe('a private key where the public key belongs is refused', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const sec1Pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const es = { ACCESS_TOKEN_ALGORITHM: 'ES256' };

  it.each([
    ['PKCS#8', privatePem],
    ['SEC1', sec1Pem],
  ])('in ACCESS_PUBLIC_KEY_FILE (%s), with or without a private key file', (_kind, pem) => {
    const wrong = write('keys/public-but-private.pem', pem);
    const priv = write('keys/private.pem', privatePem);
    const message =
      'ACCESS_PUBLIC_KEY_FILE holds a private key — give the public key there (a PEM "PUBLIC KEY"); the private key belongs in ACCESS_PRIVATE_KEY_FILE only.';
    expect(problems(() => loadSettings({ env: { ...es, ACCESS_PUBLIC_KEY_FILE: wrong } }))).toEqual(
      [message],
    );
    const found = problems(() =>
      loadSettings({
        env: { ...es, ACCESS_PUBLIC_KEY_FILE: wrong, ACCESS_PRIVATE_KEY_FILE: priv },
      }),
    );
    expect(found).toEqual([message]);
    expect(found.join()).not.toContain(pem.split('\n')[1]);
  });

  it('in ACCESS_PUBLIC_KEY given directly', () => {
    expect(
      problems(() =>
        loadSettings({
          env: {
            ...es,
            JWKS_URI: 'https://auth.example.com/jwks.json',
            ACCESS_PUBLIC_KEY: privatePem,
          },
        }),
      ),
    ).toEqual([
      'ACCESS_PUBLIC_KEY holds a private key — give the public key there (a PEM "PUBLIC KEY"); the private key belongs in ACCESS_PRIVATE_KEY_FILE only.',
    ]);
  });

  it('a public key there is fine, and a private key file alone still derives the public key', () => {
    const pub = write('keys/public.pem', publicPem);
    expect(
      loadSettings({ env: { ...es, ACCESS_PUBLIC_KEY_FILE: pub } }).ACCESS_PUBLIC_KEY,
    ).toContain('BEGIN PUBLIC KEY');
    const priv = write('keys/private-only.pem', privatePem);
    const s = loadSettings({ env: { ...es, ACCESS_PRIVATE_KEY_FILE: priv } });
    expect(s.ACCESS_PUBLIC_KEY).toBe(publicPem.trim());
  });
});

describe('BACKEND_CORS_ORIGINS is parsed whatever the schema', () => {
  const localhostFatal =
    "CONFIG: ENVIRONMENT=production but ALLOWED_ORIGINS contains localhost entries ['http://localhost:5173'] — remove all localhost/127.0.0.1 origins before deploying to production.";

  it('normalises scheme/host case, default ports, trailing slashes and duplicates, FRONTEND_HOST included', () => {
    const s = loadSettings({
      env: {
        ...hs,
        BACKEND_CORS_ORIGINS:
          'https://App.Example.com:443/, http://app.example.com:80, https://app.example.com, http://localhost:3000',
        FRONTEND_HOST: 'http://LOCALHOST:3000/',
      },
    });
    expect(s.ALLOWED_ORIGINS).toEqual([
      'https://app.example.com',
      'http://app.example.com',
      'http://localhost:3000',
    ]);
    expect(Object.isFrozen(s.ALLOWED_ORIGINS)).toBe(true);
    expect(
      loadSettings({
        env: {
          ...hs,
          BACKEND_CORS_ORIGINS: 'https://a.example.com:8443',
          FRONTEND_HOST: 'https://b.example.com',
        },
      }).ALLOWED_ORIGINS,
    ).toEqual(['https://a.example.com:8443', 'https://b.example.com']);
    expect(loadSettings({ env: hs }).ALLOWED_ORIGINS).toBeUndefined();
  });

  it('reports invalid origins with the auth schema too', () => {
    expect(problems(() => loadSettings({ env: { ...hs, BACKEND_CORS_ORIGINS: '*' } }))).toEqual([
      "Invalid host in BACKEND_CORS_ORIGINS: '*'",
      'BACKEND_CORS_ORIGINS must contain at least one valid origin',
    ]);
  });

  it('lets the production localhost rule of the health check fire for a token-only service', () => {
    const s = loadSettings({
      env: {
        ...hs,
        ENVIRONMENT: 'production',
        BACKEND_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/',
      },
    });
    expect(collectConfigFindings(s).fatal).toContain(localhostFatal);
  });

  it('derives the origins in the health check from a plain settings object', () => {
    const report = collectConfigFindings({
      ACCESS_TOKEN_ALGORITHM: 'HS256',
      TOKEN_MODE: 'stateless',
      ENVIRONMENT: 'production',
      BACKEND_CORS_ORIGINS: 'http://localhost:5173/, not-an-origin',
    });
    expect(report.fatal).toEqual([localhostFatal]);
  });
});

describe('several env files', () => {
  it('later files win over earlier ones and the process env wins over all', () => {
    const fleet = write(
      'multi/fleet.env',
      `ACCESS_SECRET_KEY=${VALID_KEY}\nREFRESH_SECRET_KEY=${WRONG_KEY}\nTOKEN_MODE=stateless\nTOKEN_ISSUER=fleet\nTOKEN_AUDIENCE=fleet-api\n`,
    );
    const service = write('multi/service.env', 'TOKEN_ISSUER=service\nJWKS_CACHE_TTL_SECONDS=60\n');
    const s = loadSettings({
      envFile: [fleet, service],
      env: { TOKEN_AUDIENCE: 'from-env' },
    });
    expect(s).toMatchObject({
      TOKEN_MODE: 'stateless',
      TOKEN_ISSUER: 'service',
      TOKEN_AUDIENCE: 'from-env',
      JWKS_CACHE_TTL_SECONDS: 60,
    });
    expect(loadSettings({ envFile: [service, fleet], env: {} }).TOKEN_ISSUER).toBe('fleet');
  });

  it('each file interpolates from its own lines and the environment, like python-dotenv', () => {
    const fleet = write('multi2/fleet.env', `ACCESS_SECRET_KEY=${VALID_KEY}\nBASE=https://fleet\n`);
    const service = write('multi2/service.env', 'TOKEN_ISSUER=${BASE:-unset}|${HOST_ENV}\n');
    expect(loadSettings({ envFile: [fleet, service], env: { HOST_ENV: 'h' } }).TOKEN_ISSUER).toBe(
      'unset|h',
    );
  });

  it('a listed file that cannot be read is a problem; false reads none', () => {
    const fleet = write('multi3/fleet.env', `ACCESS_SECRET_KEY=${VALID_KEY}\n`);
    const missing = path.join(dir, 'multi3/missing.env');
    expect(problems(() => loadSettings({ envFile: [fleet, missing], env: {} }))).toEqual([
      `envFile ${missing} cannot be read: ENOENT`,
    ]);
    expect(problems(() => loadSettings({ envFile: false, env: {} }))).toEqual([
      'ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256',
    ]);
  });
});

describe('secret sources in the Python order', () => {
  it('init values > NAME_FILE > env > .env > secrets directory', () => {
    const secrets = path.join(dir, 'secrets-order');
    write('secrets-order/ACCESS_SECRET_KEY', `${VALID_KEY}\n`);
    write('secrets-order/token_issuer', 'from-secrets-dir\n'); // any case matches
    write('secrets-order/TOKEN_AUDIENCE', 'aud-from-secrets-dir');
    write('secrets-order/REDIS_HOST', 'redis-from-secrets-dir');
    write('secrets-order/JWKS_CACHE_TTL_SECONDS', '90');
    const envFile = write(
      'secrets-order/.env-file',
      'TOKEN_AUDIENCE=aud-from-dotenv\nREDIS_HOST=redis-from-dotenv\n',
    );
    const secretFile = write('secrets-order/refresh-file', WRONG_KEY);
    const s = loadSettings({
      envFile,
      secretsDir: secrets,
      env: {
        REDIS_HOST: 'redis-from-env',
        REFRESH_SECRET_KEY: VALID_KEY,
        REFRESH_SECRET_KEY_FILE: secretFile,
        TOKEN_MODE: 'hybrid',
      },
      values: { TOKEN_MODE: 'stateless', JWKS_CACHE_TTL_SECONDS: 120 },
    });
    expect(s).toMatchObject({
      TOKEN_ISSUER: 'from-secrets-dir',
      TOKEN_AUDIENCE: 'aud-from-dotenv',
      REDIS_HOST: 'redis-from-env',
      TOKEN_MODE: 'stateless',
      JWKS_CACHE_TTL_SECONDS: 120,
    });
    expect(s.ACCESS_SECRET_KEY?.reveal()).toBe(VALID_KEY);
    expect(s.REFRESH_SECRET_KEY?.reveal()).toBe(WRONG_KEY); // NAME_FILE over NAME
    const init = loadSettings({
      secretsDir: secrets,
      env: { REFRESH_SECRET_KEY_FILE: secretFile },
      values: { REFRESH_SECRET_KEY: VALID_KEY },
    });
    expect(init.REFRESH_SECRET_KEY?.reveal()).toBe(VALID_KEY); // init over NAME_FILE
    const viaInitFile = loadSettings({
      env: {},
      values: { ACCESS_SECRET_KEY: VALID_KEY, REFRESH_SECRET_KEY_FILE: secretFile },
    });
    expect(viaInitFile.REFRESH_SECRET_KEY?.reveal()).toBe(WRONG_KEY);
  });

  it('a missing secrets directory is fine; an unreadable secret file is a problem', () => {
    expect(() =>
      loadSettings({ env: hs, secretsDir: path.join(dir, 'no-such-secrets') }),
    ).not.toThrow();
    write('secrets-bad/DB_PASSWORD/nested', 'x'); // a directory where a file is expected
    expect(
      problems(() => loadSettings({ env: hs, secretsDir: path.join(dir, 'secrets-bad') })),
    ).toEqual([]); // DB_PASSWORD is not an authSettingsSchema variable
    write('secrets-bad/REDIS_PASSWORD/nested', 'x');
    expect(
      problems(() => loadSettings({ env: hs, secretsDir: path.join(dir, 'secrets-bad') })),
    ).toEqual([
      `REDIS_PASSWORD: secret file ${path.join(dir, 'secrets-bad', 'REDIS_PASSWORD')} cannot be read: EISDIR`,
    ]);
    const notADir = write('secrets-file', 'x');
    expect(problems(() => loadSettings({ env: hs, secretsDir: notADir }))).toEqual([
      `secretsDir ${notADir} cannot be read: ENOTDIR`,
    ]);
  });

  it('SECRET_PROVIDER=vault makes the synchronous loadSettings refuse, in production or staging', () => {
    for (const ENVIRONMENT of ['production', 'Staging']) {
      expect(
        problems(() =>
          loadSettings({
            env: { ...hs, ENVIRONMENT, SECRET_PROVIDER: 'Vault', VAULT_ADDR: 'http://v' },
          }),
        ).join('\n'),
      ).toMatch(/SECRET_PROVIDER=vault: .* use `await loadSettingsAsync\(\)`/);
    }
    // Python ignores Vault outside production/staging.
    expect(() =>
      loadSettings({ env: { ...hs, ENVIRONMENT: 'local', SECRET_PROVIDER: 'vault' } }),
    ).not.toThrow();
  });

  it('loadSettingsAsync without Vault gives what loadSettings gives', async () => {
    const env = { ...hs, TOKEN_MODE: 'stateless', SESSION_COOKIE_SECURE: 'n' };
    const loaded = await loadSettingsAsync({ env });
    expect(loaded).toEqual(loadSettings({ env }));
    expect(loaded.ACCESS_SECRET_KEY?.reveal()).toBe(VALID_KEY); // toEqual cannot see inside
    await expect(loadSettingsAsync({ env: { REFRESH_SECRET_KEY: VALID_KEY } })).rejects.toThrow(
      'ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256',
    );
  });
});
