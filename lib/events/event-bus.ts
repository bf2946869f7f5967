/**
 * `EventBus`: typed publish/subscribe over Redis pub/sub in the Python SDK's wire format,
 * minus its bugs: each subscription gets only its own channel's events, a failing handler is
 * logged and isolated (no head-of-line sleep), invalid or forged events are dropped and
 * counted, the subscriber resubscribes after a Redis restart, and `close()` leaves no handles.
 */
import Joi from 'joi';
import { createClient } from 'redis';
import type { Logger } from '../core/types';
import { decodeEvent, encodeEvent } from './signing';

/** The calls the bus makes on a node-redis v5 client (structural). */
export interface PubSubClient {
  publish(channel: string, message: string): Promise<number>;
  duplicate(): PubSubClient;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(
    channel: string,
    listener?: (message: string, channel: string) => void,
  ): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  quit(): Promise<unknown>;
  destroy(): void;
  readonly isOpen: boolean;
  readonly isReady: boolean;
}

/** Close a client without waiting on a Redis that is down (QUIT would queue until reconnect). */
export async function shutdownClient(client: {
  isOpen: boolean;
  isReady: boolean;
  quit(): Promise<unknown>;
  destroy(): void;
}): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.quit().catch(() => client.destroy());
  else client.destroy();
}

export type DropReason =
  | 'malformed'
  | 'unsigned'
  | 'bad_signature'
  | 'invalid'
  | 'handler_error'
  /** The bus itself failed on the message (e.g. a schema that cannot validate synchronously). */
  | 'internal_error';

/**
 * Refuse wrong arguments when subscribing: otherwise the mistake surfaces only at the first
 * message, inside the Redis client's listener.
 */
export function checkSubscription(
  what: string,
  schema: unknown,
  handler: unknown,
  channel?: unknown,
): void {
  if (channel !== undefined && (typeof channel !== 'string' || channel.length === 0)) {
    throw new TypeError(`${what}: channel must be a non-empty string`);
  }
  if (!Joi.isSchema(schema)) throw new TypeError(`${what}: schema must be a Joi schema`);
  if (typeof handler !== 'function') throw new TypeError(`${what}: handler must be a function`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface EventBusOptions {
  /** EVENT_SIGNING_KEY: sign published events and verify received ones (HMAC-SHA256). */
  signingKey?: string | undefined;
  /** With a key, still accept unsigned events (migration period). Default false. */
  acceptUnsigned?: boolean | undefined;
  logger?: Logger | undefined;
  /** Called for every dropped event (metrics). */
  onDropped?: ((event: { channel: string; reason: DropReason }) => void) | undefined;
}

export type EventHandler<T> = (event: T) => void | Promise<void>;

export class EventBus {
  readonly #publisher: PubSubClient;
  readonly #ownsPublisher: boolean;
  #subscriber: PubSubClient | undefined;
  #connecting: Promise<void> | undefined;
  readonly #options: EventBusOptions;
  readonly #subscriptions = new Set<() => Promise<void>>();
  #closed = false;
  /** Events dropped since start, by reason. */
  readonly dropped: Record<DropReason, number> = {
    malformed: 0,
    unsigned: 0,
    bad_signature: 0,
    invalid: 0,
    handler_error: 0,
    internal_error: 0,
  };

  /** `redisUrlOrClient`: a URL (the bus owns its connections) or a connected node-redis client (not closed by the bus). */
  constructor(redisUrlOrClient: string | PubSubClient, options: EventBusOptions = {}) {
    this.#options = options;
    if (typeof redisUrlOrClient === 'string') {
      this.#publisher = createClient({ url: redisUrlOrClient }) as unknown as PubSubClient;
      this.#ownsPublisher = true;
      this.#publisher.on('error', (err) => this.#warn(`EventBus: Redis error: ${err.message}`));
    } else {
      this.#publisher = redisUrlOrClient;
      this.#ownsPublisher = false;
    }
  }

  async #ensurePublisher(): Promise<void> {
    if (this.#ownsPublisher && !this.#publisher.isOpen) {
      this.#connecting ??= this.#publisher
        .connect()
        .then(() => undefined)
        .finally(() => {
          this.#connecting = undefined;
        });
      await this.#connecting;
    }
  }

  /** Publish `event` (validated by the caller's types; signed when a key is set). */
  async publish(channel: string, event: Record<string, unknown>): Promise<number> {
    if (this.#closed) throw new Error('EventBus is closed');
    await this.#ensurePublisher();
    const { event_type, version, ...rest } = event;
    // Python's model_dump_json field order: event_type, version, then the subclass fields.
    const ordered = { event_type, version: version ?? 'v1', ...rest };
    return this.#publisher.publish(channel, encodeEvent(ordered, this.#options.signingKey));
  }

  /**
   * Deliver events of `channel` that pass `schema` to `handler`. Resolves once subscribed;
   * the returned function unsubscribes.
   */
  async subscribe<T>(
    channel: string,
    schema: Joi.ObjectSchema<T>,
    handler: EventHandler<T>,
  ): Promise<() => Promise<void>> {
    checkSubscription('EventBus.subscribe', schema, handler, channel);
    if (this.#closed) throw new Error('EventBus is closed');
    const subscriber = await this.#subscriberClient();
    // Runs inside the Redis client's emitter: nothing may escape it (a throw or a rejection
    // there takes the process down).
    const listener = (message: string, from: string): void => {
      try {
        if (from !== channel) return;
        this.#deliver(channel, message, schema, handler).catch((err: unknown) =>
          this.#internalError(channel, err),
        );
      } catch (err) {
        this.#internalError(channel, err);
      }
    };
    await subscriber.subscribe(channel, listener);
    const unsubscribe = async (): Promise<void> => {
      this.#subscriptions.delete(unsubscribe);
      if (subscriber.isOpen) await subscriber.unsubscribe(channel, listener);
    };
    this.#subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  async #subscriberClient(): Promise<PubSubClient> {
    if (this.#subscriber === undefined) {
      await this.#ensurePublisher();
      const subscriber = this.#publisher.duplicate();
      subscriber.on('error', (err) =>
        this.#warn(`EventBus: subscriber Redis error: ${err.message}`),
      );
      this.#subscriber = subscriber;
      await subscriber.connect();
    }
    return this.#subscriber;
  }

  async #deliver<T>(
    channel: string,
    message: string,
    schema: Joi.ObjectSchema<T>,
    handler: EventHandler<T>,
  ): Promise<void> {
    const decoded = decodeEvent(message, this.#options);
    if (!decoded.ok) {
      this.#drop(channel, decoded.reason);
      return;
    }
    const { value, error } = schema.validate(decoded.payload, { stripUnknown: true });
    if (error) {
      this.#drop(channel, 'invalid');
      return;
    }
    try {
      await handler(value as T);
    } catch (err) {
      this.#drop(channel, 'handler_error');
      this.#log(
        'error',
        `EventBus: error processing message on channel '${channel}': ${errorMessage(err)}`,
      );
    }
  }

  #internalError(channel: string, err: unknown): void {
    try {
      this.#drop(channel, 'internal_error');
      this.#log(
        'error',
        `EventBus: internal error on channel '${channel}', message dropped: ${errorMessage(err)}`,
      );
    } catch {
      // last line before the Redis client's emitter (e.g. an error whose toString throws)
    }
  }

  #drop(channel: string, reason: DropReason): void {
    this.dropped[reason] += 1;
    // handler and internal errors are logged with their cause where they happen
    if (reason !== 'handler_error' && reason !== 'internal_error')
      this.#warn(`EventBus: dropping event on '${channel}' (${reason})`);
    try {
      this.#options.onDropped?.({ channel, reason });
    } catch {
      // a metrics callback must not break delivery
    }
  }

  #warn(message: string): void {
    this.#log('warn', message);
  }

  /** Logging runs inside the Redis client's emitters too: a throwing logger must not escape. */
  #log(level: 'warn' | 'error', message: string): void {
    try {
      this.#options.logger?.[level](message);
    } catch {
      // nothing left to report it to
    }
  }

  /** Unsubscribe everything and close the connections the bus opened. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of [...this.#subscriptions]) await unsubscribe().catch(() => undefined);
    if (this.#subscriber) await shutdownClient(this.#subscriber);
    if (this.#ownsPublisher) await shutdownClient(this.#publisher);
  }
}
