import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../../../lib/core/errors';
import { loadCommonSettings, loadSettingsAsync } from '../../../../lib/core/settings/load';
import { commonSettingsSchema } from '../../../../lib/core/settings/schema';

const VALID_KEY = 'Abcdef-1234_XYZ-abcdef-ghijkl-mnopqr-stuvwx';
const WRONG_KEY = 'Zyxwvu-9876_ABC-zyxwvu-tsrqpo-nmlkji-hgfedc';
const TOKEN = 'hvs.test-token-Never-In-Messages';
const VAULT_ACCESS = 'Vault-Access_Key-0123456789-abcdefghijkl';
const VAULT_REDIS = 'Vault-Redis-Passw0rd!';

/** What the fake Vault answers for GET /v1/secret/data/app; set per test. */
let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
const seen: { url: string | undefined; token: string | string[] | undefined }[] = [];
let server: http.Server;
let address: string;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-vault-'));
  server = http.createServer((req, res) => {
    seen.push({ url: req.url, token: req.headers['x-vault-token'] });
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen.length = 0;
});

/** A KV v2 server: the right token gets the secret, any other one a 403 (as Vault does). */
function kv2(data: Record<string, unknown>): typeof answer {
  return (req, res) => {
    if (req.url !== '/v1/secret/data/app') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[]}');
    } else if (req.headers['x-vault-token'] !== TOKEN) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"errors":["permission denied"]}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ request_id: 'r', data: { data, metadata: { version: 3 } } }));
    }
  };
}

function vaultEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT: 'production',
    SECRET_PROVIDER: 'vault',
    VAULT_ADDR: address,
    VAULT_TOKEN: TOKEN,
    REFRESH_SECRET_KEY: WRONG_KEY,
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<ConfigurationError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    const error = err as ConfigurationError;
    // Neither the token nor a Vault value in any message.
    for (const secret of [TOKEN, VAULT_ACCESS, VAULT_REDIS]) {
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.findings)).not.toContain(secret);
    }
    return error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadSettingsAsync with HashiCorp Vault KV v2', () => {
  it('reads ACCESS_SECRET_KEY, DB_PASSWORD and REDIS_PASSWORD from secret/data/app', async () => {
    answer = kv2({
      ACCESS_SECRET_KEY: VAULT_ACCESS,
      REDIS_PASSWORD: VAULT_REDIS,
      REFRESH_SECRET_KEY: VALID_KEY, // not a Vault key in Python: ignored
    });
    const s = await loadSettingsAsync({ env: vaultEnv() });
    expect(seen).toEqual([{ url: '/v1/secret/data/app', token: TOKEN }]);
    expect(s.ACCESS_SECRET_KEY?.reveal()).toBe(VAULT_ACCESS);
    expect(s.REDIS_PASSWORD?.reveal()).toBe(VAULT_REDIS);
    expect(s.REFRESH_SECRET_KEY?.reveal()).toBe(WRONG_KEY);
    expect(JSON.stringify(s)).not.toContain(VAULT_ACCESS);
  });

  it('is the weakest source: every other source wins', async () => {
    answer = kv2({ ACCESS_SECRET_KEY: VAULT_ACCESS, REDIS_PASSWORD: VAULT_REDIS });
    const s = await loadSettingsAsync({
      env: vaultEnv({ ACCESS_SECRET_KEY: VALID_KEY, VAULT_ADDR: `${address}/` }),
    });
    expect(s.ACCESS_SECRET_KEY?.reveal()).toBe(VALID_KEY);
    expect(s.REDIS_PASSWORD?.reveal()).toBe(VAULT_REDIS);
  });

  it('fills DB_PASSWORD for the full CommonSettings schema', async () => {
    answer = kv2({ ACCESS_SECRET_KEY: VAULT_ACCESS, DB_PASSWORD: 'Vault-Db-Passw0rd!' });
    const env = vaultEnv({
      DOMAIN: 'example.com',
      API_PREFIX: '/api',
      PROJECT_NAME: 'p',
      STACK_NAME: 's',
      BACKEND_HOST: 'https://api.example.com',
      FRONTEND_HOST: 'https://app.example.com',
      BACKEND_CORS_ORIGINS: 'https://app.example.com',
      DB_HOST: 'db',
      DB_PORT: '5432',
      DB_DATABASE: 'app',
      DB_USER: 'app',
    });
    const s = await loadSettingsAsync({ env, schema: commonSettingsSchema });
    expect((s as unknown as { DB_PASSWORD: { reveal(): string } }).DB_PASSWORD.reveal()).toBe(
      'Vault-Db-Passw0rd!',
    );
    // The synchronous loader refuses the same configuration.
    expect(() => loadCommonSettings({ env })).toThrow(/use `await loadSettingsAsync\(\)`/);
  });

  it('takes the token from vault_token in the secrets directory when VAULT_TOKEN is unset', async () => {
    answer = kv2({ ACCESS_SECRET_KEY: VAULT_ACCESS });
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets, { recursive: true });
    fs.writeFileSync(path.join(secrets, 'vault_token'), `${TOKEN}\n`);
    const env = vaultEnv();
    delete env.VAULT_TOKEN;
    const s = await loadSettingsAsync({ env, secretsDir: secrets });
    expect(s.ACCESS_SECRET_KEY?.reveal()).toBe(VAULT_ACCESS);
    expect(seen[0]?.token).toBe(TOKEN);
  });

  it('wrong token: 403 is a clear error', async () => {
    answer = kv2({ ACCESS_SECRET_KEY: VAULT_ACCESS });
    const error = await failure(
      loadSettingsAsync({ env: vaultEnv({ VAULT_TOKEN: 'hvs.wrong-Token-Value' }) }),
    );
    expect(error.findings).toContain(
      `Vault secret/data/app at ${address}: permission denied (403) — check VAULT_TOKEN and its policy`,
    );
    expect(error.message).not.toContain('hvs.wrong-Token-Value');
  });

  it('missing path: 404 is a clear error', async () => {
    answer = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[]}');
    };
    const error = await failure(loadSettingsAsync({ env: vaultEnv() }));
    expect(error.findings).toContain(
      `Vault secret/data/app at ${address}: no secret at this path (404)`,
    );
  });

  it('a slow Vault times out', async () => {
    const timers: NodeJS.Timeout[] = [];
    answer = (_req, res) => {
      timers.push(setTimeout(() => kv2({ ACCESS_SECRET_KEY: VAULT_ACCESS })(_req, res), 2000));
    };
    const started = Date.now();
    const error = await failure(loadSettingsAsync({ env: vaultEnv(), vaultTimeoutMs: 150 }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error.findings).toContain(
      `Vault secret/data/app at ${address}: no answer within 150 ms`,
    );
    for (const timer of timers) clearTimeout(timer);
  });

  it.each([
    ['not JSON', 'this is not json'],
    ['JSON without data.data', '{"data":{"keys":["a"]}}'],
    ['data.data not an object', '{"data":{"data":"oops"}}'],
    ['null', 'null'],
  ])('garbage body (%s) is a clear error', async (_kind, body) => {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    };
    const error = await failure(loadSettingsAsync({ env: vaultEnv() }));
    expect(error.findings).toContain(
      `Vault secret/data/app at ${address}: the answer is not a KV v2 secret ({"data":{"data":{...}}})`,
    );
  });

  it('a non-string value, an unreachable Vault and missing settings are clear errors', async () => {
    answer = kv2({ ACCESS_SECRET_KEY: 12345 });
    expect((await failure(loadSettingsAsync({ env: vaultEnv() }))).findings).toContain(
      `Vault secret/data/app at ${address}: ACCESS_SECRET_KEY is not a string`,
    );
    // A port nobody listens on: take one, close it.
    const spare = http.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${String((spare.address() as AddressInfo).port)}`;
    await new Promise((resolve) => spare.close(resolve));
    expect(
      (await failure(loadSettingsAsync({ env: vaultEnv({ VAULT_ADDR: closed }) }))).findings,
    ).toContain(`Vault secret/data/app at ${closed} cannot be reached: ECONNREFUSED`);
    const env = vaultEnv();
    delete env.VAULT_ADDR;
    delete env.VAULT_TOKEN;
    expect((await failure(loadSettingsAsync({ env, secretsDir: false }))).findings).toEqual(
      expect.arrayContaining([
        'SECRET_PROVIDER=vault needs VAULT_ADDR',
        'SECRET_PROVIDER=vault needs VAULT_TOKEN',
      ]),
    );
  });

  it('does not follow a redirect (the token would go along) and reports other statuses', async () => {
    answer = (_req, res) => {
      res.writeHead(307, { location: 'http://elsewhere.invalid/v1/secret/data/app' }).end();
    };
    expect((await failure(loadSettingsAsync({ env: vaultEnv() }))).findings).toContain(
      `Vault secret/data/app at ${address}: redirected (307), not followed — point VAULT_ADDR at the active node`,
    );
    expect(seen).toHaveLength(1);
    answer = (_req, res) => {
      res.writeHead(503).end('sealed');
    };
    expect((await failure(loadSettingsAsync({ env: vaultEnv() }))).findings).toContain(
      `Vault secret/data/app at ${address}: unexpected HTTP status 503`,
    );
  });

  it('is not used outside production and staging (as in Python)', async () => {
    answer = kv2({ ACCESS_SECRET_KEY: VAULT_ACCESS });
    await expect(
      loadSettingsAsync({ env: vaultEnv({ ENVIRONMENT: 'development' }) }),
    ).rejects.toThrow('ACCESS_SECRET_KEY is required when ACCESS_TOKEN_ALGORITHM=HS256');
    expect(seen).toEqual([]);
  });
});
