/**
 * Revocation checks answered in the process (`createRedisClient({ clientCache })`), through
 * `TokenPolicy` on the machine's Redis: a checked token costs no command until its
 * `jwt:blacklist:<jti>` key is written, by anyone; a write from another connection, a key's
 * expiry and a lost connection are all seen, also through `authenticate()` over HTTP. Commands
 * are counted on the server (MONITOR) and on the wire (a counting relay). A hung or
 * partitioned server and the Cluster: redis-revocation-cache-faults.test.ts.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError, InvalidTokenError } from '../../../lib/core/errors';
import { authenticate, errorHandler } from '../../../lib/express';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { createRedisClient, type RedisTrackingClient } from '../../../stores/redis/connect';
import { RedisRevocationCache } from '../../../stores/redis/revocation-cache';
import { RedisRevocationStore } from '../../../stores/redis/revocation-store';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import {
  commandsOf,
  connectRedis,
  CountingRelay,
  dropRedisPrefix,
  type TestRedisClient,
} from '../../helpers/redis-client';
import { waitFor } from '../../helpers/redis-server';
import { describeWithService, services, uniquePrefix } from '../../helpers/services';

const validator = new TokenValidator({
  secret: { key: HS_SECRET, algorithm: 'HS256' },
  config: createValidationConfig(),
});
const tokenFor = (jti: string): string => mint(accessClaims({ jti }), { key: HS_SECRET });
// No PING inside a counted window: the connection is heard through its replies alone here.
const QUIET = { pingIntervalMs: 60_000, maxSilenceMs: 120_000 };

/** Resolves to 'ok', 'revoked' or the error's name: what one request gets. */
function verdict(policy: TokenPolicy, token: string): Promise<string> {
  return policy.validate(token).then(
    () => 'ok',
    (err: unknown) => (err instanceof InvalidTokenError ? String(err.reason) : String(err)),
  );
}

describeWithService('redis', 'Revocation checks answered in the process (client tracking)', () => {
  let relay: CountingRelay;
  let writer: TestRedisClient;
  const open: RedisTrackingClient[] = [];
  let prefix: string;

  beforeAll(async () => {
    relay = await CountingRelay.start(services.redis);
    writer = await connectRedis();
    prefix = uniquePrefix('blacklist');
  });

  afterAll(async () => {
    for (const client of open) client.destroy();
    await dropRedisPrefix(writer, prefix);
    await writer.quit();
    await relay.close();
  });

  /** A consumer: its own tracking client (through the relay), store and fail_closed policy. */
  async function consumer(options: { maxEntries?: number; cache?: RedisRevocationCache } = {}) {
    const client = createRedisClient({
      url: relay.url,
      clientCache: options.cache ?? { keyPrefix: prefix, ...QUIET, ...options },
    });
    await client.connect();
    open.push(client);
    const store = new RedisRevocationStore({ client, keyPrefix: prefix });
    const policy = new TokenPolicy({ validator, revocationStore: store });
    const cache = client.clientSideCache as RedisRevocationCache;
    const counted = (action: () => Promise<unknown>) =>
      commandsOf(client as unknown as TestRedisClient, relay, services.redis.url, action);
    return { client, store, policy, cache, counted };
  }

  it('asks Redis once per token, then answers from the process: 0 commands for the next 50 requests', async () => {
    const { policy, cache, counted } = await consumer();
    const token = tokenFor(`${prefix}-once`);
    const first = await counted(() => policy.validate(token));
    expect(first).toEqual({ commands: ['EXISTS'], roundTrips: 1 });
    const next = await counted(async () => {
      for (let i = 0; i < 50; i++) await policy.validate(token);
    });
    expect(next).toEqual({ commands: [], roundTrips: 0 });
    expect(cache.size()).toBe(1);
    expect(cache.stats().hitCount).toBe(50);
  });

  it('refuses the token on every consumer once another connection writes its key (SET … EX 60, as the Python issuer)', async () => {
    const a = await consumer();
    const b = await consumer();
    const jti = `${prefix}-python`;
    const token = tokenFor(jti);
    for (const c of [a, b]) {
      await expect(verdict(c.policy, token)).resolves.toBe('ok');
      expect(c.store.isRevokedLocally(jti)).toBe(false);
    }
    await writer.sendCommand(['SET', `${prefix}${jti}`, '1', 'EX', '60']);
    for (const c of [a, b]) {
      await waitFor(async () => (await verdict(c.policy, token)) === 'revoked', 2000, 'refusal');
      // Refused every time from then on (a revoked answer is never kept: each is asked).
      const again = await c.counted(() => verdict(c.policy, token));
      expect(again.commands).toEqual(['EXISTS']);
      await expect(verdict(c.policy, token)).resolves.toBe('revoked');
    }
  });

  it('refuses at once a token revoked through the policy itself (no wait for the invalidation)', async () => {
    // Injected fault: tracking off, so Redis sends no invalidation at all.
    class Untracked extends RedisRevocationCache {
      override trackingOn(): string[] {
        return ['CLIENT', 'TRACKING', 'OFF'];
      }
    }
    const { policy } = await consumer({ cache: new Untracked({ keyPrefix: prefix, ...QUIET }) });
    const claims = accessClaims({ jti: `${prefix}-own` });
    const token = mint(claims, { key: HS_SECRET });
    await expect(verdict(policy, token)).resolves.toBe('ok');
    await policy.revoke({ jti: String(claims.jti), exp: Number(claims.exp) });
    await expect(verdict(policy, token)).resolves.toBe('revoked');
  });

  it('sees the key expire (EX 1): the token passes again, then is answered locally again', async () => {
    const { policy, store, counted } = await consumer();
    const jti = `${prefix}-expiring`;
    const token = tokenFor(jti);
    await expect(verdict(policy, token)).resolves.toBe('ok');
    await writer.sendCommand(['SET', `${prefix}${jti}`, '1', 'EX', '1']);
    await waitFor(async () => (await verdict(policy, token)) === 'revoked', 2000, 'refusal');
    await waitFor(async () => (await verdict(policy, token)) === 'ok', 5000, 'the expiry');
    // The read that expired the key also made Redis report it deleted: one more read may go.
    await waitFor(
      async () => (await verdict(policy, token)) === 'ok' && store.isRevokedLocally(jti) === false,
      2000,
      'a local answer',
    );
    expect((await counted(() => policy.validate(token))).commands).toEqual([]);
  });

  it('forgets every answer when its connection is lost: a key written meanwhile is seen after the reconnect', async () => {
    const { client, policy, cache, store } = await consumer();
    const jti = `${prefix}-reconnect`;
    const token = tokenFor(jti);
    await expect(verdict(policy, token)).resolves.toBe('ok');
    expect(cache.size()).toBe(1);
    const id = await client.clientId();
    // Killed and written in one transaction: the dead connection cannot hear of the write.
    await writer
      .multi()
      .addCommand(['CLIENT', 'KILL', 'ID', String(id)])
      .addCommand(['SET', `${prefix}${jti}`, '1', 'EX', '60'])
      .exec();
    await waitFor(
      async () => (await client.clientId().catch(() => id)) !== id,
      5000,
      'the reconnect',
    );
    expect(store.isRevokedLocally(jti)).toBeUndefined();
    await expect(verdict(policy, token)).resolves.toBe('revoked');
  });

  it('keeps at most maxEntries answers, dropping the least recently used', async () => {
    const { policy, cache, counted } = await consumer({ maxEntries: 3 });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((tag) => tokenFor(`${prefix}-lru-${tag}`));
    for (const token of [a, b, c]) await policy.validate(token!);
    await policy.validate(a!); // a is used again: b is now the least recently used
    expect((await counted(() => policy.validate(d!))).commands).toEqual(['EXISTS']);
    expect(cache.size()).toBe(3);
    const kept = await counted(async () => {
      for (const token of [a, c, d]) await policy.validate(token!);
    });
    expect(kept.commands).toEqual([]);
    expect((await counted(() => policy.validate(b!))).commands).toEqual(['EXISTS']);
    expect(cache.size()).toBe(3);
    expect(cache.stats().evictionCount).toBe(2);
  });

  it('passes every other read through uncached: a GET sees another connection’s write', async () => {
    const { client } = await consumer();
    const key = `${prefix.slice(0, -1)}-other:key`;
    await writer.set(key, 'first', { EX: 60 });
    await expect(client.get(key)).resolves.toBe('first');
    await writer.set(key, 'second', { EX: 60 });
    await expect(client.get(key)).resolves.toBe('second');
    await writer.del(key);
  });

  it('through authenticate() on a listening server: repeated requests send nothing, then 401 once another connection revokes', async () => {
    const { policy, counted } = await consumer();
    const app = express();
    app.get('/me', authenticate({ policy }), (req, res) => {
      res.json({ sub: req.auth?.sub });
    });
    app.use(errorHandler({ logger: { warn: () => undefined, error: () => undefined } }));
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const jti = `${prefix}-http`;
    const get = async () => {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/me`, {
        headers: { authorization: `Bearer ${tokenFor(jti)}` },
      });
      return { status: res.status, body: (await res.json()) as { msg?: string } };
    };
    try {
      await expect(get()).resolves.toMatchObject({ status: 200 });
      const repeated = await counted(async () => {
        for (let i = 0; i < 20; i++) expect((await get()).status).toBe(200);
      });
      expect(repeated).toEqual({ commands: [], roundTrips: 0 });
      await writer.sendCommand(['SET', `${prefix}${jti}`, '1', 'EX', '60']);
      await waitFor(async () => (await get()).status === 401, 2000, 'a 401');
      await expect(get()).resolves.toEqual({
        status: 401,
        body: expect.objectContaining({ msg: 'Token revoked' }),
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a store whose key prefix is not the one its client tracks', () => {
    const client = createRedisClient({ url: relay.url, clientCache: { keyPrefix: prefix } });
    expect(() => new RedisRevocationStore({ client })).toThrow(ConfigurationError);
    expect(() => new RedisRevocationStore({ client })).toThrow(/tracks ".+" but the store/);
    expect(() => new RedisRevocationCache({ maxEntries: 0 })).toThrow(ConfigurationError);
    expect(() => new RedisRevocationCache({ pingIntervalMs: 1000, maxSilenceMs: 1000 })).toThrow(
      /must exceed pingIntervalMs/,
    );
    expect(() => new RedisRevocationCache({ keyPrefix: '' })).toThrow(ConfigurationError);
  });
});
