/** `auth-sdk-m8/events`: the Redis event bus in the Python wire format, signed like Python. */
export {
  EventBus,
  shutdownClient,
  type EventBusOptions,
  type EventHandler,
  type DropReason,
  type PubSubClient,
} from './event-bus';
export { DurableEventBus, type DurableEventBusOptions, type StreamClient } from './durable-bus';
export {
  signPayload,
  verifySignature,
  encodeEvent,
  decodeEvent,
  type DecodeResult,
} from './signing';
export { userDeletedEventSchema, eventBaseSchema, type UserDeletedEvent } from '../core/schemas';
