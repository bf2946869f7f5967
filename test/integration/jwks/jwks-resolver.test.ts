import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConfigurationError, StoreUnavailableError } from '../../../lib/core/errors';
import { buildAccessValidator } from '../../../lib/security/build-access-validator';
import { JwksKeyResolver } from '../../../lib/security/key-resolvers/jwks';
import { TokenIssuer } from '../../../lib/security/token-issuer';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { JwksServer } from '../../helpers/jwks-server';
import { ecKeys, p384Keys, rsaKeys, weakRsaKeys } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';

function jwk(publicKey: KeyObject, extra: Record<string, unknown>): Record<string, unknown> {
  return { ...publicKey.export({ format: 'jwk' }), use: 'sig', ...extra };
}

const quiet = { warn: jest.fn(), error: jest.fn() };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, limitMs = 2000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('JwksKeyResolver against a real HTTP server', () => {
  let server: JwksServer;
  let now = 0;
  const clock = (): number => now;
  const rs = rsaKeys();
  const rs2 = rsaKeys('second');

  beforeEach(async () => {
    server = await JwksServer.start();
    server.document = { keys: [jwk(rs.publicKey, { kid: 'k1', alg: 'RS256' })] };
    now = 1_000_000;
    quiet.warn.mockClear();
  });
  afterEach(async () => {
    await server.close();
  });

  const resolver = (
    extra: Partial<ConstructorParameters<typeof JwksKeyResolver>[0]> = {},
  ): JwksKeyResolver =>
    new JwksKeyResolver({ uri: server.uri, algorithm: 'RS256', clock, logger: quiet, ...extra });

  it('refuses a non-http(s) URI with the Python message', () => {
    expect(() => new JwksKeyResolver({ uri: 'ftp://auth/jwks.json', algorithm: 'RS256' })).toThrow(
      new ConfigurationError("JWKS URI must use http or https scheme, got: 'ftp://auth/jwks.json'"),
    );
  });

  it('fetches on first use, then serves from cache within the TTL, refetches after it', async () => {
    const r = resolver({ cacheTtlSeconds: 300 });
    const key = await r.resolve('k1');
    expect(key?.algorithm).toBe('RS256');
    await r.resolve('k1');
    expect(server.requests).toBe(1);
    now += 301_000;
    await r.resolve('k1');
    await r.refresh(); // past the TTL the refetch runs in the background: wait for it
    expect(server.requests).toBe(2);
  });

  it('shares one fetch between concurrent resolves (single flight)', async () => {
    server.delayMs = 100;
    const r = resolver();
    const keys = await Promise.all(Array.from({ length: 20 }, () => r.resolve('k1')));
    expect(keys.every((k) => k !== undefined)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('picks up a rotated-in kid with one refresh, and drops a removed kid after a refresh', async () => {
    const r = resolver();
    await r.resolve('k1');
    server.document = {
      keys: [jwk(rs.publicKey, { kid: 'k1' }), jwk(rs2.publicKey, { kid: 'k2' })],
    };
    now += 11_000; // past the cooldown
    expect(await r.resolve('k2')).toBeDefined();
    expect(server.requests).toBe(2);
    server.document = { keys: [jwk(rs2.publicKey, { kid: 'k2' })] };
    now += 301_000;
    await r.resolve('k1'); // served stale while the background refresh runs
    await r.refresh();
    expect(await r.resolve('k1')).toBeUndefined();
  });

  it('a flood of 1,000 junk kids costs at most one extra fetch per cooldown and never blocks valid kids', async () => {
    const r = resolver();
    await r.resolve('k1');
    now += 11_000;
    const started = Date.now();
    const junk = await Promise.all(Array.from({ length: 1000 }, (_, i) => r.resolve(`junk-${i}`)));
    expect(junk.every((k) => k === undefined)).toBe(true);
    expect(server.requests).toBe(2);
    expect(await r.resolve('k1')).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toBe(2);
  });

  it('serves stale keys when a refresh fails, and reports it', async () => {
    const fetches: string[] = [];
    const r = resolver({ hooks: { onJwksFetch: (e) => fetches.push(e.result) } });
    await r.resolve('k1');
    server.behaviour = { kind: 'status', status: 500 };
    now += 301_000;
    expect(await r.resolve('k1')).toBeDefined();
    await r.refresh(); // the failing refresh runs in the background: wait for it
    expect(fetches).toEqual(['success', 'stale']);
    expect(quiet.warn.mock.calls[0][0]).toMatch(
      /JWKS refresh failed \(.*\); serving stale cache until next attempt in 10s\./,
    );
  });

  it.each([
    ['an HTTP 500', { kind: 'status', status: 500 } as const],
    ['a non-JSON body', { kind: 'body', body: '<html>' } as const],
    ['a body without keys', { kind: 'body', body: '{"keys":"x"}' } as const],
    ['a JSON array', { kind: 'body', body: '[]' } as const],
    ['a redirect', { kind: 'redirect', location: 'http://127.0.0.1:1/evil' } as const],
    ['a body over the size cap', { kind: 'huge', bytes: 2 * 1024 * 1024 } as const],
  ])(
    'answers StoreUnavailableError (503, "cannot decide") for %s with no cached keys',
    async (_name, behaviour) => {
      server.behaviour = behaviour;
      const r = resolver({ maxResponseBytes: 1024 * 1024 });
      await expect(r.resolve('k1')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(r.resolve('k1')).rejects.toMatchObject({ status: 503, store: 'jwks' });
      expect(server.requests).toBe(1); // the cooldown holds during the outage
    },
  );

  it('times out a hanging key server', async () => {
    server.behaviour = { kind: 'hang' };
    const started = Date.now();
    await expect(resolver({ timeoutMs: 300 }).resolve('k1')).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('with a hung key server, no request for a cached kid waits on the refresh', async () => {
    // The refresh hangs for the whole 5 s timeout; a cached kid must come back long before
    // (the bound is loose so a loaded machine cannot flip the verdict; bench measures speed).
    const r = resolver({ timeoutMs: 5000 });
    await r.resolve('k1');
    server.behaviour = { kind: 'hang' };
    now += 301_000; // past the TTL
    const first = await timed(() => r.resolve('k1'));
    expect(first.value).toBeDefined();
    expect(first.ms).toBeLessThan(1000);
    await until(() => server.requests === 2); // the refresh now hangs on the server
    const hits = [];
    for (let i = 0; i < 50; i += 1) {
      now += 11_000; // past the cooldown each time: only single flight prevents a second fetch
      hits.push(await timed(() => r.resolve('k1')));
    }
    expect(hits.every((h) => h.value !== undefined)).toBe(true);
    expect(Math.max(...hits.map((h) => h.ms))).toBeLessThan(1000);
    expect(server.requests).toBe(2);
  });

  it('with a hung key server, an unknown kid waits for the fetch, at most the timeout', async () => {
    const r = resolver({ timeoutMs: 300 });
    await r.resolve('k1');
    server.behaviour = { kind: 'hang' };
    now += 301_000;
    const unknown = await timed(() => r.resolve('k-new'));
    expect(unknown.value).toBeUndefined();
    expect(unknown.ms).toBeGreaterThanOrEqual(250); // it did wait on the fetch
    expect(unknown.ms).toBeLessThan(300 + 300);
    expect(await r.resolve('k1')).toBeDefined(); // stale-if-error still holds
  });

  it('refreshes in the background shortly before the TTL ends, while no request waits', async () => {
    const r = resolver({ cacheTtlSeconds: 100 });
    await r.resolve('k1');
    now += 50_000; // half the TTL: too early
    await r.resolve('k1');
    await sleep(50);
    expect(server.requests).toBe(1);
    now += 40_000; // 90% of the TTL
    server.delayMs = 200;
    const hit = await timed(() => r.resolve('k1'));
    expect(hit.value).toBeDefined();
    expect(hit.ms).toBeLessThan(50);
    await until(() => server.requests === 2); // the server sees the fetch; the request is done
    await r.refresh();
    now += 20_000; // past the first set's expiry, within the refreshed one
    expect(await r.resolve('k1')).toBeDefined();
    expect(r.fresh).toBe(true);
    expect(server.requests).toBe(2);
  });

  it('warm() fetches once at start, so the first request needs no fetch', async () => {
    const r = resolver();
    await expect(r.warm()).resolves.toBe(true);
    expect(server.requests).toBe(1);
    expect(await r.resolve('k1')).toBeDefined();
    expect(server.requests).toBe(1);
  });

  it.each([
    ['hangs', { kind: 'hang' } as const],
    ['answers HTTP 500', { kind: 'status', status: 500 } as const],
  ])('warm() resolves false, never rejects, when the key server %s', async (_name, behaviour) => {
    server.behaviour = behaviour;
    const r = resolver({ timeoutMs: 200 });
    const warmed = await timed(() => r.warm());
    expect(warmed.value).toBe(false);
    expect(warmed.ms).toBeLessThan(1000);
    await expect(r.resolve('k1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('skips one bad key instead of failing the set; skips enc keys, private keys, weak or wrong-curve keys', async () => {
    const { publicKey: other } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    server.document = {
      keys: [
        { kty: 'RSA', kid: 'broken', n: 'AAAA', e: 'AQAB' },
        jwk(rs2.publicKey, { kid: 'enc', use: 'enc' }),
        { ...rs.privateKey.export({ format: 'jwk' }), kid: 'private' },
        jwk(weakRsaKeys().publicKey, { kid: 'weak' }),
        jwk(other, { kid: 'ec-under-rs256' }),
        jwk(rs.publicKey, { kid: 'k1' }),
      ],
    };
    const r = resolver();
    expect(await r.resolve('k1')).toBeDefined();
    for (const kid of ['broken', 'enc', 'private', 'weak', 'ec-under-rs256']) {
      expect([kid, await r.resolve(kid)]).toEqual([kid, undefined]);
    }
    expect(r.size).toBe(1);
  });

  it('refuses a P-384 key under ES256', async () => {
    server.document = {
      keys: [jwk(p384Keys().publicKey, { kid: 'p384' }), jwk(ecKeys().publicKey, { kid: 'p256' })],
    };
    const r = resolver({ algorithm: 'ES256' });
    expect(await r.resolve('p256')).toBeDefined();
    expect(await r.resolve('p384')).toBeUndefined();
  });

  it('end to end: TokenValidator validates RS256 and ES256 tokens signed by keys served from JWKS', async () => {
    for (const [alg, keys] of [
      ['RS256', rs],
      ['ES256', ecKeys()],
    ] as const) {
      const issuer = new TokenIssuer({
        accessKeys: [{ secret: { key: keys.privateKey, algorithm: alg } }],
      });
      server.document = issuer.jwks();
      const validator = new TokenValidator({
        keyResolver: new JwksKeyResolver({ uri: server.uri, algorithm: alg }),
        config: createValidationConfig({ allowedAlgorithms: [alg] }),
      });
      const { token } = issuer.issueAccessToken({
        sub: 'u-1',
        email: 'jwks@example.com',
        role: 'reader',
      });
      await expect(validator.validateAccessToken(token)).resolves.toMatchObject({
        sub: 'u-1',
        role: 'reader',
      });
      const attacker = alg === 'RS256' ? rsaKeys('attacker') : ecKeys('attacker');
      const forged = mint(accessClaims(), {
        alg,
        key: attacker.privateKey,
        header: { kid: issuer.kid },
      });
      await expect(validator.validateAccessToken(forged)).rejects.toMatchObject({
        status: 401,
        reason: 'invalid',
      });
    }
  });
});

describe('JWKS warm-up at start (buildAccessValidator)', () => {
  const rs = rsaKeys();
  const settings = (uri: string) =>
    ({
      ACCESS_TOKEN_ALGORITHM: 'RS256',
      JWKS_URI: uri,
      JWKS_CACHE_TTL_SECONDS: 300,
    }) as unknown as Parameters<typeof buildAccessValidator>[0];

  it('fetches the key set at construction, before any request', async () => {
    const server = await JwksServer.start();
    try {
      server.document = { keys: [jwk(rs.publicKey, { kid: 'k1', alg: 'RS256' })] };
      buildAccessValidator(settings(server.uri), { logger: quiet });
      await until(() => server.requests === 1);
      expect(server.requests).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('a failed warm-up costs no cooldown: the first request fetches again and succeeds', async () => {
    const server = await JwksServer.start();
    try {
      server.document = { keys: [jwk(rs.publicKey, { kid: 'k1', alg: 'RS256' })] };
      server.behaviour = { kind: 'status', status: 500 };
      const validator = buildAccessValidator(settings(server.uri), { logger: quiet });
      await until(() => server.requests === 1);
      await sleep(50); // let the failed warm-up settle
      server.behaviour = { kind: 'ok' };
      const token = mint(accessClaims(), {
        alg: 'RS256',
        key: rs.privateKey,
        header: { kid: 'k1' },
      });
      await expect(validator.validateAccessToken(token)).resolves.toMatchObject({
        sub: expect.any(String),
      });
      expect(server.requests).toBe(2);
    } finally {
      await server.close();
    }
  });
});
