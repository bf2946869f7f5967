import Joi from 'joi';
import { createClient } from 'redis';
import {
  DurableEventBus,
  EventBus,
  canonicalJson,
  decodeEvent,
  encodeEvent,
  signPayload,
  userDeletedEventSchema,
  type UserDeletedEvent,
} from '../../../lib/events';
import { PrivateRedis } from '../../helpers/redis-server';
import { describeWithService, services, uniquePrefix } from '../../helpers/services';

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
  it("delivers every event published while the consumer was down, and reclaims a dead consumer's message", async () => {
    const stream = `${uniquePrefix('stream')}user-events`;
    const publisher = createClient({ url: services.redis.url });
    const readerA = createClient({ url: services.redis.url });
    const readerB = createClient({ url: services.redis.url });
    await Promise.all([publisher.connect(), readerA.connect(), readerB.connect()]);
    const producer = new DurableEventBus(publisher as never, {
      stream,
      group: 'g',
      consumer: 'producer',
    });
    try {
      // Consumer A starts, takes one message and dies before acknowledging it.
      const gotA: string[] = [];
      const consumerA = new DurableEventBus(readerA as never, {
        stream,
        group: 'g',
        consumer: 'a',
        blockMs: 200,
        claimIdleMs: 300,
        logger: quietLogger,
      });
      await consumerA.start(userDeletedEventSchema, (e) => {
        gotA.push(e.user_id);
        throw new Error('crash before ack');
      });
      await producer.publish({ event_type: 'user.deleted', user_id: 'first' });
      await waitUntil(() => gotA.length >= 1);
      await consumerA.close();
      // Published while nobody consumes:
      for (const id of ['u1', 'u2', 'u3'])
        await producer.publish({ event_type: 'user.deleted', user_id: id });
      // Consumer B (another process) starts later: it gets the backlog and reclaims A's message.
      const gotB: string[] = [];
      const consumerB = new DurableEventBus(readerB as never, {
        stream,
        group: 'g',
        consumer: 'b',
        blockMs: 200,
        claimIdleMs: 300,
        logger: quietLogger,
      });
      await consumerB.start(userDeletedEventSchema, (e) => {
        gotB.push(e.user_id);
      });
      await waitUntil(() => ['first', 'u1', 'u2', 'u3'].every((id) => gotB.includes(id)), 10_000);
      await consumerB.close();
      const pending = (await readerB.xPending(stream, 'g')) as { pending: number };
      expect(pending.pending).toBe(0);
    } finally {
      await publisher.del(stream);
      await Promise.all([publisher.quit(), readerA.quit(), readerB.quit()]);
    }
  }, 20_000);
});
