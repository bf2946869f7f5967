/**
 * `DurableEventBus`: at-least-once events on Redis Streams with consumer groups, for consumers
 * that must not miss a `user.deleted` while they are down. Events are acknowledged only after
 * the handler succeeds; messages left pending by a consumer that died are reclaimed
 * (XAUTOCLAIM) by another consumer of the group after `claimIdleMs`. A handler that throws
 * leaves its message pending, so it is retried every `claimIdleMs` until it succeeds (there is
 * no dead-letter limit); invalid, unsigned or forged entries are acknowledged and dropped.
 * `close()` waits for the current read (at most `blockMs`) and the running handler.
 */
import type Joi from 'joi';
import type { Logger } from '../core/types';
import { decodeEvent, encodeEvent, type DecodeResult } from './signing';
import { checkSubscription, errorMessage, type DropReason, type EventHandler } from './event-bus';

interface StreamMessage {
  id: string;
  message: Record<string, string>;
}

/** The node-redis v5 calls used (structural). */
export interface StreamClient {
  xAdd(key: string, id: string, message: Record<string, string>): Promise<string>;
  xGroupCreate(
    key: string,
    group: string,
    id: string,
    options?: { MKSTREAM?: boolean },
  ): Promise<unknown>;
  xReadGroup(
    group: string,
    consumer: string,
    streams: { key: string; id: string },
    options?: { COUNT?: number; BLOCK?: number },
  ): Promise<unknown>;
  xAck(key: string, group: string, id: string): Promise<number>;
  xAutoClaim(
    key: string,
    group: string,
    consumer: string,
    minIdleTime: number,
    start: string,
    options?: { COUNT?: number },
  ): Promise<unknown>;
}

export interface DurableEventBusOptions {
  stream: string;
  group: string;
  /** This consumer's name; unique per process. */
  consumer: string;
  /** Pending messages idle longer than this are taken over from dead consumers. Default 30 000 ms. */
  claimIdleMs?: number | undefined;
  /** How long one read blocks, in ms (bounds close() latency). Default 1000. */
  blockMs?: number | undefined;
  signingKey?: string | undefined;
  acceptUnsigned?: boolean | undefined;
  logger?: Logger | undefined;
  /** Called per dropped entry, and per failed handler call (`handler_error`, retried later). */
  onDropped?: ((event: { stream: string; reason: DropReason }) => void) | undefined;
}

function messagesOf(reply: unknown): StreamMessage[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamMessage[] = [];
  for (const stream of reply as Array<{ messages?: StreamMessage[] }>) {
    for (const message of stream?.messages ?? []) if (message) out.push(message);
  }
  return out;
}

export class DurableEventBus {
  readonly #client: StreamClient;
  readonly #options: Required<Pick<DurableEventBusOptions, 'claimIdleMs' | 'blockMs'>> &
    DurableEventBusOptions;
  #running: Promise<void> | undefined;
  #stopping = false;

  /**
   * `client`: a connected node-redis client. Reads block, so give the consumer its own
   * connection (`client.duplicate()`); publishing can share any client.
   */
  constructor(client: StreamClient, options: DurableEventBusOptions) {
    this.#client = client;
    this.#options = { claimIdleMs: 30_000, blockMs: 1000, ...options };
  }

  /** Append an event to the stream (signed when a key is set); resolves to its id. */
  publish(event: Record<string, unknown>): Promise<string> {
    const { event_type, version, ...rest } = event;
    const data = encodeEvent(
      { event_type, version: version ?? 'v1', ...rest },
      this.#options.signingKey,
    );
    return this.#client.xAdd(this.#options.stream, '*', { data });
  }

  /** Start consuming: creates the group if needed, then reclaims and reads until `close()`. */
  async start<T>(schema: Joi.ObjectSchema<T>, handler: EventHandler<T>): Promise<void> {
    checkSubscription('DurableEventBus.start', schema, handler);
    if (this.#running) throw new Error('DurableEventBus already started');
    const { stream, group } = this.#options;
    try {
      await this.#client.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.#running = this.#loop(schema, handler);
  }

  async #loop<T>(schema: Joi.ObjectSchema<T>, handler: EventHandler<T>): Promise<void> {
    const { stream, group, consumer, claimIdleMs, blockMs } = this.#options;
    // Redeliver what this consumer name left pending (a restart under the same name) once; a
    // message whose handler fails stays pending and comes back through XAUTOCLAIM after
    // claimIdleMs, so a failing handler is retried at that pace, not in a tight loop.
    let recovering = true;
    let claimCursor = '0-0';
    let lastClaim = 0;
    while (!this.#stopping) {
      try {
        if (recovering) {
          const own = messagesOf(
            await this.#client.xReadGroup(
              group,
              consumer,
              { key: stream, id: '0' },
              { COUNT: 1000 },
            ),
          );
          for (const message of own) await this.#handle(message, schema, handler);
          recovering = false;
        }
        if (Date.now() - lastClaim >= Math.min(claimIdleMs, 5000)) {
          lastClaim = Date.now();
          const claimed = (await this.#client.xAutoClaim(
            stream,
            group,
            consumer,
            claimIdleMs,
            claimCursor,
            { COUNT: 50 },
          )) as { nextId?: string; messages?: Array<StreamMessage | null> } | null;
          claimCursor = claimed?.nextId ?? '0-0';
          for (const message of claimed?.messages ?? []) {
            if (message && !this.#stopping) await this.#handle(message, schema, handler);
          }
        }
        const fresh = messagesOf(
          await this.#client.xReadGroup(
            group,
            consumer,
            { key: stream, id: '>' },
            { COUNT: 50, BLOCK: blockMs },
          ),
        );
        for (const message of fresh) await this.#handle(message, schema, handler);
      } catch (err) {
        if (this.#stopping) break;
        this.#log('warn', `DurableEventBus: read failed (${errorMessage(err)}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Resolves true when the message was acknowledged (handled, or dropped as invalid). */
  async #handle<T>(
    message: StreamMessage,
    schema: Joi.ObjectSchema<T>,
    handler: EventHandler<T>,
  ): Promise<boolean> {
    const { stream, group } = this.#options;
    let decoded: DecodeResult;
    let checked: Joi.ValidationResult<T> | undefined;
    try {
      decoded = decodeEvent(message.message.data ?? '', this.#options);
      if (decoded.ok) checked = schema.validate(decoded.payload, { stripUnknown: true });
    } catch (err) {
      // The bus itself failed (e.g. a schema with external rules): left pending, retried at
      // the claimIdleMs pace like a failing handler, and counted.
      this.#log('error', `DurableEventBus: internal error on ${message.id}: ${errorMessage(err)}`);
      this.#notifyDropped('internal_error');
      return false;
    }
    if (!decoded.ok) return this.#dropAndAck(message.id, decoded.reason);
    if (checked === undefined || checked.error) return this.#dropAndAck(message.id, 'invalid');
    const { value } = checked;
    try {
      await handler(value as T);
    } catch (err) {
      // Not acknowledged: it stays pending and is retried (at-least-once).
      this.#log('error', `DurableEventBus: handler failed for ${message.id}: ${errorMessage(err)}`);
      this.#notifyDropped('handler_error');
      return false;
    }
    await this.#client.xAck(stream, group, message.id);
    return true;
  }

  async #dropAndAck(id: string, reason: DropReason): Promise<boolean> {
    const { stream, group } = this.#options;
    this.#log('warn', `DurableEventBus: dropping ${id} (${reason})`);
    this.#notifyDropped(reason);
    await this.#client.xAck(stream, group, id);
    return true;
  }

  /** A throwing logger must not stop the consumer loop. */
  #log(level: 'warn' | 'error', message: string): void {
    try {
      this.#options.logger?.[level](message);
    } catch {
      // nothing left to report it to
    }
  }

  #notifyDropped(reason: DropReason): void {
    try {
      this.#options.onDropped?.({ stream: this.#options.stream, reason });
    } catch {
      // a metrics callback must not break acknowledgement
    }
  }

  /** Stop after the current read (at most `blockMs`). Does not close the client. */
  async close(): Promise<void> {
    this.#stopping = true;
    await this.#running;
  }
}
