import Joi from 'joi';
import { createClient } from 'redis';
import {
  DurableEventBus,
  EventBus,
  decodeEvent,
  encodeEvent,
  signPayload,
  userDeletedEventSchema,
  type UserDeletedEvent,
} from '../../../lib/events';
import { canonicalJson, canonicalJsonText, verifySignature } from '../../../lib/events/signing';
import { PrivateRedis } from '../../helpers/redis-server';
import { describeWithService, services, uniquePrefix } from '../../helpers/services';
// Made by fixtures/make-python-signed-events.py (Python stdlib); see that script.
import pythonSigned from './fixtures/python-signed-events.json';

function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const KEY = 'Event-Signing_Key-0123456789-ABCDEFGHIJ';

// A real Joi schema whose synchronous validate() throws (external rules need validateAsync()).
const throwingSchema = userDeletedEventSchema.external(async () => undefined);

/** Collects what escapes to the process (which, outside Jest, would end it). */
function watchEscapes(): { escaped: unknown[]; stop: () => void } {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => {
    escaped.push(err);
  };
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  return {
    escaped,
    stop: () => {
      process.off('unhandledRejection', onEscape);
      process.off('uncaughtException', onEscape);
    },
  };
}
const quietLogger = { warn: () => undefined, error: () => undefined };

describe('Python-compatible signing', () => {
  it('canonical JSON is json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)', () => {
    // Python: json.dumps({"user_id": "é🔑\n", "event_type": "user.deleted", "version": "v1", "n": [1, True, None]},
    //                    sort_keys=True, separators=(",", ":"))
    expect(
      canonicalJson({
        user_id: 'é🔑\n',
        event_type: 'user.deleted',
        version: 'v1',
        n: [1, true, null],
      }),
    ).toBe(
      '{"event_type":"user.deleted","n":[1,true,null],"user_id":"\\u00e9\\ud83d\\udd11\\n","version":"v1"}',
    );
  });

  it('matches a signature computed by the Python SDK (known vector)', () => {
    // python3 -c 'import json,hmac,hashlib
    //   p={"event_type":"user.deleted","version":"v1","user_id":"é🔑"}
    //   c=json.dumps(p,sort_keys=True,separators=(",",":"))
    //   print(c); print(hmac.new(b"k3y",c.encode(),hashlib.sha256).hexdigest())'
    // {"event_type":"user.deleted","user_id":"\u00e9\ud83d\udd11","version":"v1"}
    // 8e9d5546181a6bc9ce923f22320f75fb7e48ea4833ad963cdc7b664117b1dbfa
    const payload = { event_type: 'user.deleted', version: 'v1', user_id: 'é🔑' };
    expect(canonicalJson(payload)).toBe(
      '{"event_type":"user.deleted","user_id":"\\u00e9\\ud83d\\udd11","version":"v1"}',
    );
    const sig = '8e9d5546181a6bc9ce923f22320f75fb7e48ea4833ad963cdc7b664117b1dbfa';
    expect(signPayload(payload, 'k3y')).toBe(sig);
    // What a Python publisher puts on the wire (json.dumps default separators, ensure_ascii).
    const fromPython =
      '{"payload": {"event_type": "user.deleted", "version": "v1", "user_id": "\\u00e9\\ud83d\\udd11"}, "sig": "' +
      sig +
      '"}';
    expect(decodeEvent(fromPython, { signingKey: 'k3y' })).toEqual({ ok: true, payload });
  });

  it('writes numbers and orders keys as Python does (floats as repr, keys by code point)', () => {
    // python3: json.dumps({"n":[1,0.5,1e-05,1.5e16,-2.5e-07,1000000000000000.5,5e-324],
    //   "\uffff":True,"\U0001F511":None}, sort_keys=True, separators=(",",":"))
    expect(
      canonicalJson({
        n: [1, 0.5, 1e-5, 1.5e16, -2.5e-7, 1000000000000000.5, 5e-324],
        '\uffff': true,
        '🔑': null,
      }),
    ).toBe(
      '{"n":[1,0.5,1e-05,1.5e+16,-2.5e-07,1000000000000000.5,5e-324],"\\uffff":true,"\\ud83d\\udd11":null}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });

  it('escapes DEL and every other non-printable or non-ASCII character as Python does', () => {
    // python3 -c 'import json; print(json.dumps({"a":"\x7f"}, sort_keys=True, separators=(",",":")))'
    expect(canonicalJson({ a: '\x7f' })).toBe('{"a":"\\u007f"}');
    const strings = pythonSigned.events.find((e) => e.name === 'strings');
    const payload = (JSON.parse(strings?.wire ?? '{}') as { payload: Record<string, unknown> })
      .payload;
    expect(canonicalJson(payload)).toBe(strings?.canonical);
  });

  it.each(pythonSigned.events.map((e) => [e.name, e] as const))(
    'verifies a Python-signed event over its wire text: %s',
    (_name, e) => {
      const key = pythonSigned.key;
      // The canonical text of the wire is exactly what Python signed.
      expect(canonicalJsonText(e.wire)).toBe(`{"payload":${e.canonical},"sig":"${e.sig}"}`);
      const decoded = decodeEvent(e.wire, { signingKey: key });
      expect(decoded.ok).toBe(true);
      expect(decoded.ok && decoded.payload).toEqual(
        (JSON.parse(e.wire) as { payload: unknown }).payload,
      );
      expect(decodeEvent(e.wire, { signingKey: `${key}x` })).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
      const tampered = e.wire.replace('"version": "v1"', '"version": "v2"');
      expect(tampered).not.toBe(e.wire);
      expect(decodeEvent(tampered, { signingKey: key })).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    },
  );

  it('needs the wire text: after JSON.parse, Python floats like 2.0 and ints above 2^53 no longer verify', () => {
    for (const name of ['floats', 'big ints', 'hand-written number literals']) {
      const e = pythonSigned.events.find((x) => x.name === name);
      const { payload, sig } = JSON.parse(e?.wire ?? '{}') as {
        payload: Record<string, unknown>;
        sig: string;
      };
      expect([name, verifySignature(payload, sig, pythonSigned.key)]).toEqual([name, false]);
    }
  });

  it('writes numbers on the wire as it signed them, so a parser of the wire text gets the same canonical form', () => {
    const payload = {
      event_type: 'metric',
      version: 'v1',
      ints: [0, -0, 2, 2 ** 53 - 1],
      floats: [0.5, 1e16, 1.5e16, 1e21, 1e-7, -2.5e-7],
      text: 'é\x7f🔑',
      at: new Date(0),
      skipped: undefined,
    };
    const wire = encodeEvent(payload, KEY);
    const { sig } = JSON.parse(wire) as { sig: string };
    expect(canonicalJsonText(wire)).toBe(`{"payload":${canonicalJson(payload)},"sig":"${sig}"}`);
    expect(canonicalJson(payload)).toBe(
      '{"at":"1970-01-01T00:00:00.000Z","event_type":"metric",' +
        '"floats":[0.5,1e+16,1.5e+16,1e+21,1e-07,-2.5e-07],"ints":[0,0,2,9007199254740991],' +
        '"text":"\\u00e9\\u007f\\ud83d\\udd11","version":"v1"}',
    );
    expect(decodeEvent(wire, { signingKey: KEY })).toEqual({
      ok: true,
      payload: JSON.parse(JSON.stringify(payload)) as unknown,
    });
  });

  it('refuses invalid JSON in the canonical reader', () => {
    for (const bad of ['{"a":01}', '{"a":1,}', '[1 2]', '{"a":"\\x"}', '{"a":1} x', 'NaN']) {
      expect(() => canonicalJsonText(bad)).toThrow(SyntaxError);
    }
  });

  it('signs and verifies; forged and unsigned events are refused when a key is set', () => {
    const payload = { event_type: 'user.deleted', version: 'v1', user_id: 'u1' };
    const wire = encodeEvent(payload, KEY);
    expect(JSON.parse(wire)).toEqual({ payload, sig: signPayload(payload, KEY) });
    expect(decodeEvent(wire, { signingKey: KEY })).toEqual({ ok: true, payload });
    const forged = JSON.stringify({
      payload: { ...payload, user_id: 'u2' },
      sig: signPayload(payload, KEY),
    });
    expect(decodeEvent(forged, { signingKey: KEY })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(decodeEvent(JSON.stringify(payload), { signingKey: KEY })).toEqual({
      ok: false,
      reason: 'unsigned',
    });
    expect(decodeEvent(JSON.stringify(payload), { signingKey: KEY, acceptUnsigned: true }).ok).toBe(
      true,
    );
    expect(decodeEvent('{nope', {})).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeEvent('[1]', {})).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeEvent('null', {})).toEqual({ ok: false, reason: 'malformed' });
    const truncatedSig = JSON.stringify({ payload, sig: signPayload(payload, KEY).slice(0, 10) });
    expect(decodeEvent(truncatedSig, { signingKey: KEY })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});

describeWithService('redis', 'EventBus on Redis pub/sub', () => {
  const channel = (tag: string): string => `${uniquePrefix('events')}${tag}`;

  it('publishes the Python wire format and delivers a validated UserDeletedEvent', async () => {
    const bus = new EventBus(services.redis.url, { logger: quietLogger });
    const raw = createClient({ url: services.redis.url });
    await raw.connect();
    const ch = channel('wire');
    const seen: string[] = [];
    const received: UserDeletedEvent[] = [];
    try {
      await raw.subscribe(ch, (m) => seen.push(m));
      await bus.subscribe(ch, userDeletedEventSchema, (e) => {
        received.push(e);
      });
      await bus.publish(ch, { event_type: 'user.deleted', user_id: 'abc' });
      await waitUntil(() => received.length === 1 && seen.length === 1);
      expect(seen[0]).toBe('{"event_type":"user.deleted","version":"v1","user_id":"abc"}');
      expect(received[0]).toEqual({ event_type: 'user.deleted', version: 'v1', user_id: 'abc' });
      // A message as the Python EventPublisher sends it (json.dumps, with spaces) is understood too.
      const pub = createClient({ url: services.redis.url });
      await pub.connect();
      await pub.publish(ch, '{"event_type": "user.deleted", "version": "v1", "user_id": "py-1"}');
      await pub.quit();
      await waitUntil(() => received.length === 2);
      expect(received[1]).toEqual({ event_type: 'user.deleted', version: 'v1', user_id: 'py-1' });
    } finally {
      await bus.close();
      await raw.quit();
    }
  });

  it('delivers a UserDeletedEvent with another event_type, as Python does; refuses a non-string one', async () => {
    const bus = new EventBus(services.redis.url, { logger: quietLogger });
    const pub = createClient({ url: services.redis.url });
    await pub.connect();
    const ch = channel('other-type');
    const received: UserDeletedEvent[] = [];
    try {
      await bus.subscribe(ch, userDeletedEventSchema, (e) => {
        received.push(e);
      });
      // As a Python publisher sends them: another event_type, no event_type, a wrong-typed one.
      await pub.publish(ch, '{"event_type": "user.purged", "version": "v1", "user_id": "p-1"}');
      await pub.publish(ch, '{"user_id": "p-2"}');
      await pub.publish(ch, '{"event_type": 5, "version": "v1", "user_id": "p-3"}');
      await waitUntil(() => received.length === 2 && bus.dropped.invalid === 1);
      expect(received).toEqual([
        { event_type: 'user.purged', version: 'v1', user_id: 'p-1' },
        { event_type: 'user.deleted', version: 'v1', user_id: 'p-2' },
      ]);
    } finally {
      await bus.close();
      await pub.quit();
    }
  });

  it('routes each subscription only its own channel, isolates a throwing handler, drops invalid events', async () => {
    const bus = new EventBus(services.redis.url, { logger: quietLogger });
    const a = channel('a');
    const b = channel('b');
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    const other = Joi.object({
      event_type: Joi.string().valid('other').required(),
      version: Joi.string(),
      n: Joi.number().required(),
    });
    try {
      await bus.subscribe(a, userDeletedEventSchema, (e) => {
        gotA.push(e);
        if (e.user_id === 'boom') throw new Error('handler failed');
      });
      await bus.subscribe(b, other, async (e) => {
        gotB.push(e);
      });
      await bus.publish(a, { event_type: 'user.deleted', user_id: 'boom' });
      await bus.publish(a, { event_type: 'user.deleted', user_id: 'u2' });
      await bus.publish(b, { event_type: 'other', n: 1 });
      await bus.publish(a, { event_type: 'other', n: 2 }); // wrong schema for channel a
      await waitUntil(() => gotA.length === 2 && gotB.length === 1 && bus.dropped.invalid === 1);
      expect(gotB).toEqual([{ event_type: 'other', version: 'v1', n: 1 }]);
      expect(bus.dropped.handler_error).toBe(1);
    } finally {
      await bus.close();
    }
  });

  it("uses a duplicate of a caller's client for subscribing and leaves the caller's client open", async () => {
    const client = createClient({ url: services.redis.url });
    await client.connect();
    const bus = new EventBus(client as never, { logger: quietLogger });
    const ch = channel('given');
    const got: string[] = [];
    try {
      await bus.subscribe(ch, userDeletedEventSchema, (e) => {
        got.push(e.user_id);
      });
      // The caller's client is not in subscriber mode: it still runs ordinary commands.
      expect(await client.ping()).toBe('PONG');
      await bus.publish(ch, { event_type: 'user.deleted', user_id: 'x' });
      await waitUntil(() => got.length === 1);
      await bus.close();
      expect(client.isOpen).toBe(true);
      expect(await client.ping()).toBe('PONG');
      await expect(bus.publish(ch, { event_type: 'user.deleted', user_id: 'y' })).rejects.toThrow(
        'closed',
      );
    } finally {
      await bus.close();
      await client.quit();
    }
  });

  it('stops delivering after unsubscribe and reports drops to onDropped', async () => {
    const drops: string[] = [];
    const bus = new EventBus(services.redis.url, {
      logger: quietLogger,
      onDropped: ({ reason }) => drops.push(reason),
    });
    const ch = channel('unsub');
    const got: string[] = [];
    try {
      const unsubscribe = await bus.subscribe(ch, userDeletedEventSchema, (e) => {
        got.push(e.user_id);
      });
      await bus.publish(ch, { event_type: 'user.deleted', user_id: 1234 }); // user_id must be a string
      await bus.publish(ch, { event_type: 'user.deleted', user_id: 'one' });
      await waitUntil(() => got.length === 1 && drops.length === 1);
      expect(drops).toEqual(['invalid']);
      await unsubscribe();
      expect(await bus.publish(ch, { event_type: 'user.deleted', user_id: 'two' })).toBe(0);
      expect(got).toEqual(['one']);
    } finally {
      await bus.close();
    }
  });

  it('refuses wrong arguments at subscribe() with a TypeError, before subscribing', async () => {
    const bus = new EventBus(services.redis.url, { logger: quietLogger });
    const ch = channel('args');
    const handler = (): void => undefined;
    try {
      for (const [name, call] of [
        ['no schema', () => bus.subscribe(ch, undefined as never, handler)],
        ['a fake schema', () => bus.subscribe(ch, { validate: () => ({}) } as never, handler)],
        ['no handler', () => bus.subscribe(ch, userDeletedEventSchema, undefined as never)],
        ['an empty channel', () => bus.subscribe('', userDeletedEventSchema, handler)],
      ] as const) {
        await expect([name, await call().catch((err: unknown) => err)]).toEqual([
          name,
          expect.any(TypeError),
        ]);
      }
      expect(await bus.publish(ch, { event_type: 'user.deleted', user_id: 'x' })).toBe(0);
    } finally {
      await bus.close();
    }
  });

  it('lets no exception of its listener reach the Redis client: counted, logged, delivery goes on', async () => {
    const watch = watchEscapes();
    const errors: string[] = [];
    const drops: string[] = [];
    const bus = new EventBus(services.redis.url, {
      logger: { warn: () => undefined, error: (m: string) => errors.push(m) },
      onDropped: ({ reason }) => drops.push(reason),
    });
    const throwingLogger = () => {
      throw new Error('logger down');
    };
    const loud = new EventBus(services.redis.url, {
      logger: { warn: throwingLogger, error: throwingLogger },
    });
    const ch = channel('internal');
    const got: string[] = [];
    try {
      await bus.subscribe(ch, throwingSchema, () => undefined);
      await bus.subscribe(ch, userDeletedEventSchema, (e) => {
        got.push(e.user_id);
      });
      await loud.subscribe(ch, userDeletedEventSchema, () => {
        throw new Error('handler failed');
      });
      await loud.subscribe(ch, throwingSchema, () => undefined);
      await bus.publish(ch, { event_type: 'user.deleted', user_id: 'one' });
      await bus.publish(ch, { event_type: 'user.deleted', user_id: 'two' });
      await waitUntil(
        () =>
          got.length === 2 &&
          bus.dropped.internal_error === 2 &&
          loud.dropped.internal_error === 2 &&
          loud.dropped.handler_error === 2,
      );
      expect(got).toEqual(['one', 'two']);
      expect(bus.dropped.internal_error).toBe(2);
      expect(drops.filter((r) => r === 'internal_error')).toHaveLength(2);
      expect(errors[0]).toMatch(/internal error on channel '.*internal'.*validateAsync/);
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
      await Promise.all([bus.close(), loud.close()]);
    }
  });

  it('drops unsigned and forged events when signing is on, delivers signed ones', async () => {
    const signed = new EventBus(services.redis.url, { signingKey: KEY, logger: quietLogger });
    const unsigned = new EventBus(services.redis.url, { logger: quietLogger });
    const forger = new EventBus(services.redis.url, {
      signingKey: 'Wrong-Signing_Key-0123456789-ABCDEFGHIJ',
      logger: quietLogger,
    });
    const ch = channel('signed');
    const got: UserDeletedEvent[] = [];
    try {
      await signed.subscribe(ch, userDeletedEventSchema, (e) => {
        got.push(e);
      });
      await unsigned.publish(ch, { event_type: 'user.deleted', user_id: 'unsigned' });
      await forger.publish(ch, { event_type: 'user.deleted', user_id: 'forged' });
      await signed.publish(ch, { event_type: 'user.deleted', user_id: 'genuine' });
      await waitUntil(
        () =>
          got.length === 1 && signed.dropped.unsigned === 1 && signed.dropped.bad_signature === 1,
      );
      expect(got.map((e) => e.user_id)).toEqual(['genuine']);
    } finally {
      await Promise.all([signed.close(), unsigned.close(), forger.close()]);
    }
  });
});

describe('EventBus across a Redis restart (private server)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('resubscribes after the server restarts', async () => {
    const bus = new EventBus(redis.url, { logger: quietLogger });
    const got: string[] = [];
    try {
      await bus.subscribe('restart', userDeletedEventSchema, (e) => {
        got.push(e.user_id);
      });
      await bus.publish('restart', { event_type: 'user.deleted', user_id: 'before' });
      await waitUntil(() => got.length === 1);
      await redis.restart();
      // Publish until the resubscribed reader gets one (reconnection takes a moment).
      await waitUntil(() => {
        void bus
          .publish('restart', { event_type: 'user.deleted', user_id: 'after' })
          .catch(() => undefined);
        return got.includes('after');
      }, 10_000);
    } finally {
      await bus.close();
    }
  }, 20_000);
});

describeWithService('redis', 'DurableEventBus on Redis Streams', () => {
  type Client = ReturnType<typeof createClient>;
  let stream: string;
  const clients: Client[] = [];
  const connect = async (): Promise<Client> => {
    const client = createClient({ url: services.redis.url });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };
  const consumer = (client: Client, name: string, extra: object = {}): DurableEventBus =>
    new DurableEventBus(client as never, {
      stream,
      group: 'g',
      consumer: name,
      blockMs: 100,
      claimIdleMs: 300,
      logger: quietLogger,
      ...extra,
    });
  const pendingCount = async (client: Client): Promise<number> =>
    ((await client.xPending(stream, 'g')) as { pending: number }).pending;

  beforeEach(() => {
    stream = `${uniquePrefix('stream')}user-events`;
  });
  afterEach(async () => {
    const [first] = clients;
    if (first?.isReady) await first.del(stream);
    for (const client of clients.splice(0)) {
      if (client.isOpen) await client.quit().catch(() => client.destroy());
    }
  });

  it('delivers every event published while the consumer was stopped to a new consumer instance', async () => {
    const producer = consumer(await connect(), 'producer');
    const first = consumer(await connect(), 'a');
    const gotFirst: string[] = [];
    await first.start(userDeletedEventSchema, (e) => {
      gotFirst.push(e.user_id);
    });
    await producer.publish({ event_type: 'user.deleted', user_id: 'live' });
    await waitUntil(() => gotFirst.length === 1);
    await first.close();

    const ids = Array.from({ length: 20 }, (_, i) => `down-${i}`);
    for (const user_id of ids) await producer.publish({ event_type: 'user.deleted', user_id });

    const next = consumer(await connect(), 'a2');
    const gotNext: string[] = [];
    await next.start(userDeletedEventSchema, (e) => {
      gotNext.push(e.user_id);
    });
    try {
      await waitUntil(() => gotNext.length === ids.length, 10_000);
      expect(gotNext).toEqual(ids); // none lost, none repeated, in order
      expect(gotFirst).toEqual(['live']);
      expect(await pendingCount(clients[0])).toBe(0);
    } finally {
      await next.close();
    }
  }, 20_000);

  it('reclaims the message of a consumer that died mid-handle (hung handler, connection gone)', async () => {
    const producer = consumer(await connect(), 'producer');
    const doomedClient = await connect();
    const doomed = consumer(doomedClient, 'doomed');
    let taken = 0;
    await doomed.start(userDeletedEventSchema, () => {
      taken += 1;
      return new Promise<void>(() => undefined); // never finishes: the process "dies" here
    });
    await producer.publish({ event_type: 'user.deleted', user_id: 'orphan' });
    await waitUntil(() => taken === 1);
    doomedClient.destroy(); // the dead process's connection drops; its message stays pending
    expect(await pendingCount(clients[0])).toBe(1);

    const rescuer = consumer(await connect(), 'rescuer');
    const got: string[] = [];
    await rescuer.start(userDeletedEventSchema, (e) => {
      got.push(e.user_id);
    });
    try {
      await waitUntil(() => got.includes('orphan'), 10_000);
      await waitUntil(() => got.length === 1, 1000);
      const pending = await pendingCount(clients[0]);
      expect(pending).toBe(0);
    } finally {
      await rescuer.close();
    }
  }, 20_000);

  it('retries a failing handler at the claimIdleMs pace (no tight loop) and acks once it succeeds', async () => {
    const producer = consumer(await connect(), 'producer');
    const drops: string[] = [];
    const flaky = consumer(await connect(), 'flaky', {
      onDropped: ({ reason }: { reason: string }) => drops.push(reason),
    });
    const attempts: number[] = [];
    await flaky.start(userDeletedEventSchema, () => {
      attempts.push(Date.now());
      if (attempts.length < 3) throw new Error('temporarily failing');
    });
    try {
      await producer.publish({ event_type: 'user.deleted', user_id: 'retry-me' });
      await waitUntil(() => attempts.length === 3, 10_000);
      // Each retry waits for the message to sit idle claimIdleMs (300 ms) first.
      expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(250);
      expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(250);
      await waitUntil(() => drops.length === 2);
      expect(drops).toEqual(['handler_error', 'handler_error']);
      await new Promise((r) => setTimeout(r, 500));
      expect(attempts).toHaveLength(3);
      expect(await pendingCount(clients[0])).toBe(0);
    } finally {
      await flaky.close();
    }
  }, 20_000);

  it('start() refuses wrong arguments with a TypeError', async () => {
    const bus = consumer(await connect(), 'args');
    await expect(bus.start(undefined as never, () => undefined)).rejects.toThrow(TypeError);
    await expect(bus.start(userDeletedEventSchema, undefined as never)).rejects.toThrow(TypeError);
    await bus.close();
  });

  it('counts and logs its own failure on an entry, leaves it pending, and keeps consuming', async () => {
    const watch = watchEscapes();
    const producer = consumer(await connect(), 'producer');
    const drops: string[] = [];
    const errors: string[] = [];
    const broken = consumer(await connect(), 'broken', {
      logger: { warn: () => undefined, error: (m: string) => errors.push(m) },
      onDropped: ({ reason }: { reason: string }) => drops.push(reason),
    });
    await broken.start(throwingSchema, () => undefined);
    try {
      await producer.publish({ event_type: 'user.deleted', user_id: 'kept' });
      await waitUntil(() => drops.length >= 1);
      expect(drops[0]).toBe('internal_error');
      expect(errors[0]).toMatch(/internal error on .*validateAsync/);
      expect(await pendingCount(clients[0])).toBe(1); // not lost: retried like a failing handler
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
      await broken.close();
    }
  }, 20_000);

  it('acknowledges and counts invalid, unsigned and forged entries instead of retrying them', async () => {
    const raw = await connect();
    const drops: string[] = [];
    const signedConsumer = consumer(await connect(), 'signed', {
      signingKey: KEY,
      onDropped: ({ reason }: { reason: string }) => drops.push(reason),
    });
    const got: string[] = [];
    await signedConsumer.start(userDeletedEventSchema, (e) => {
      got.push(e.user_id);
    });
    try {
      await raw.xAdd(stream, '*', { data: '{not json' });
      await raw.xAdd(stream, '*', {
        data: encodeEvent({ event_type: 'user.deleted', version: 'v1', user_id: 'u' }),
      });
      await raw.xAdd(stream, '*', {
        data: encodeEvent(
          { event_type: 'user.deleted', version: 'v1', user_id: 'u' },
          'Wrong-Signing_Key-0123456789-ABCDEFGHIJ',
        ),
      });
      await raw.xAdd(stream, '*', {
        data: encodeEvent({ event_type: 'user.deleted', version: 'v1' }, KEY),
      });
      const producer = consumer(raw, 'producer', { signingKey: KEY });
      await producer.publish({ event_type: 'user.deleted', user_id: 'genuine' });
      await waitUntil(() => got.length === 1 && drops.length === 4, 10_000);
      expect(got).toEqual(['genuine']);
      expect(drops).toEqual(['malformed', 'unsigned', 'bad_signature', 'invalid']);
      expect(await pendingCount(raw)).toBe(0);
    } finally {
      await signedConsumer.close();
    }
  }, 20_000);
});
