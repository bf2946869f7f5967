/**
 * Revocation checks answered in the process, kept exact by Redis itself: server-assisted
 * client-side caching (RESP3, `CLIENT TRACKING ON BCAST PREFIX jwt:blacklist:`). Redis pushes
 * an invalidation on the client's own connection whenever a key under the prefix is written,
 * deleted or expires, whoever wrote it (the Python issuer, redis-cli, another service), so a
 * remembered "not revoked" holds until Redis says otherwise. Plugged into node-redis as its
 * `clientSideCache` (a client, a cluster, a pool or a sentinel).
 */
import { BasicPooledClientSideCache } from 'redis';
import { ConfigurationError } from '../../lib/core/errors';

export interface RedisRevocationCacheOptions {
  /** Most jtis remembered as not revoked (LRU beyond it). Default 100,000. */
  maxEntries?: number | undefined;
  /** The keys tracked and cached; default `jwt:blacklist:`, the revocation store's prefix. */
  keyPrefix?: string | undefined;
  /** Health-check PING on each connection, in ms (node-redis `pingInterval`). Default 1000. */
  pingIntervalMs?: number | undefined;
  /**
   * A connection silent for longer (no reply to a PING or a read) is no longer trusted to have
   * delivered every invalidation: its answers are not used until it is heard again, and checks
   * go to Redis, where the policy's timeout and failure mode apply. Default 3000.
   */
  maxSilenceMs?: number | undefined;
}

type HandleCache = BasicPooledClientSideCache['handleCache'];
type CachingClient = Parameters<HandleCache>[0];

/**
 * What the cache knows of one connection: the answers it brought are used only while it has
 * been heard from within `maxSilenceMs`. A timer flips the flag, so a check reads a boolean.
 */
class Connection {
  trusted = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly index: number,
    private readonly silenceMs: number,
  ) {}

  heard(): void {
    this.trusted = true;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => (this.trusted = false), this.silenceMs);
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
  }

  forget(): void {
    this.trusted = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** One EXISTS in flight for a jti; an invalidation meanwhile makes its answer unusable. */
interface Load {
  reply: Promise<unknown>;
  current: boolean;
}

/**
 * Remembers which jtis Redis said are not revoked (`EXISTS jwt:blacklist:<jti>` = 0), per
 * connection, and forgets one as soon as Redis reports a write of its key. Only that answer is
 * kept: a revoked jti is asked again each time, so a key's expiry (which Redis reports only
 * when it deletes the key) can never be missed. Every other command passes through uncached.
 * The whole cache is dropped when a connection fails or closes (an invalidation may have been
 * lost with it). Memory: one `Map` entry per jti (its id and a small integer).
 */
export class RedisRevocationCache extends BasicPooledClientSideCache {
  readonly keyPrefix: string;
  readonly pingIntervalMs: number;
  readonly maxSilenceMs: number;
  readonly #max: number;
  /** jti → connection index × 2 + recently-used bit (a second-chance LRU). */
  readonly #known = new Map<string, number>();
  readonly #loads = new Map<string, Load>();
  readonly #connections: Connection[] = [];
  readonly #connectionOf = new WeakMap<object, Connection>();
  #disabled = false;
  #hits = 0;

  constructor(options: RedisRevocationCacheOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    super({ maxEntries: max });
    this.keyPrefix = options.keyPrefix ?? 'jwt:blacklist:';
    this.pingIntervalMs = options.pingIntervalMs ?? 1000;
    this.maxSilenceMs = options.maxSilenceMs ?? 3000;
    this.#max = max;
    positiveInteger('maxEntries', max);
    positiveInteger('pingIntervalMs', this.pingIntervalMs);
    positiveInteger('maxSilenceMs', this.maxSilenceMs);
    if (this.maxSilenceMs <= this.pingIntervalMs) {
      throw new ConfigurationError(
        `RedisRevocationCache: maxSilenceMs (${this.maxSilenceMs}) must exceed pingIntervalMs (${this.pingIntervalMs}), or every pause between two PINGs distrusts the cache`,
      );
    }
    if (this.keyPrefix === '') {
      throw new ConfigurationError('RedisRevocationCache: keyPrefix must not be empty');
    }
  }

  /**
   * True when Redis said `jti` is not revoked and nothing was written to its key since, on a
   * connection heard from within `maxSilenceMs`. False: unknown here, ask Redis.
   */
  knownNotRevoked(jti: string): boolean {
    if (this.#disabled) return false;
    const value = this.#known.get(jti);
    if (value === undefined || !this.#connections[value >> 1]!.trusted) return false;
    if ((value & 1) === 0) this.#known.set(jti, value | 1);
    this.#hits++;
    return true;
  }

  /** Forget `jti` at once (its key was just written through this process). */
  forget(jti: string): void {
    this.#known.delete(jti);
    const load = this.#loads.get(jti);
    if (load !== undefined) load.current = false;
    this.#loads.delete(jti);
  }

  override trackingOn(): string[] {
    return ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', this.keyPrefix];
  }

  override async handleCache(
    ...[client, parser, fn, transformReply, typeMapping]: Parameters<HandleCache>
  ): Promise<unknown> {
    const args = parser.redisArgs;
    const key = args[1];
    const cacheable =
      !this.#disabled &&
      args.length === 2 &&
      args[0] === 'EXISTS' &&
      typeof key === 'string' &&
      key.startsWith(this.keyPrefix);
    if (!cacheable) {
      const reply = await fn();
      return transformReply ? transformReply(reply, parser.preserve, typeMapping) : reply;
    }
    const jti = key.slice(this.keyPrefix.length);
    if (this.knownNotRevoked(jti)) return 0;
    const pending = this.#loads.get(jti);
    if (pending !== undefined) return pending.reply;
    return this.#load(client, jti, fn);
  }

  /** One EXISTS for `jti`; a 0 is remembered unless its key was written meanwhile. */
  async #load(client: CachingClient, jti: string, fn: () => Promise<unknown>): Promise<unknown> {
    const connection = this.#connection(client);
    const load: Load = { reply: fn(), current: true };
    this.#loads.set(jti, load);
    this.recordMisses(1);
    try {
      const reply = await load.reply;
      connection.heard();
      if (load.current && reply === 0 && !this.#disabled) this.#remember(flat(jti), connection);
      return reply;
    } finally {
      if (this.#loads.get(jti) === load) this.#loads.delete(jti);
    }
  }

  #remember(jti: string, connection: Connection): void {
    if (!this.#known.has(jti) && this.#known.size >= this.#max) this.#evictOne();
    this.#known.set(jti, connection.index * 2);
  }

  /** Second chance: the oldest entry goes unless it was used since its last pass. */
  #evictOne(): void {
    for (const [jti, value] of this.#known) {
      this.#known.delete(jti);
      if ((value & 1) === 0) {
        this.recordEvictions(1);
        return;
      }
      this.#known.set(jti, value & ~1);
    }
  }

  /** The connection record of a node-redis client; its PING replies keep it trusted. */
  #connection(client: CachingClient): Connection {
    let connection = this.#connectionOf.get(client);
    if (connection === undefined) {
      const created = new Connection(this.#connections.length, this.maxSilenceMs);
      this.#connections.push(created);
      this.#connectionOf.set(client, created);
      client.on('ping-interval', () => created.heard());
      connection = created;
    }
    return connection;
  }

  /** Called by node-redis for every invalidation Redis pushes (null: forget everything). */
  override invalidate(key: Parameters<BasicPooledClientSideCache['invalidate']>[0]): void {
    if (key === null) {
      this.#drop();
    } else {
      const text = typeof key === 'string' ? key : key.toString();
      if (text.startsWith(this.keyPrefix)) this.forget(text.slice(this.keyPrefix.length));
    }
    this.emit('invalidate', key);
  }

  /** Drops every answer and distrusts every connection until it is heard again. */
  #drop(): void {
    if (this.#known.size > 0) this.recordEvictions(this.#known.size);
    this.#known.clear();
    for (const load of this.#loads.values()) load.current = false;
    this.#loads.clear();
    for (const connection of this.#connections) connection.forget();
  }

  override clear(): void {
    this.#drop();
  }

  override onError(): void {
    this.#drop();
  }

  override onClose(): void {
    this.#drop();
  }

  override onPoolClose(): void {
    this.#drop();
  }

  override disable(): void {
    this.#disabled = true;
    this.#drop();
    super.disable();
  }

  override enable(): void {
    this.#disabled = false;
    super.enable();
  }

  override size(): number {
    return this.#known.size;
  }

  override stats(): ReturnType<BasicPooledClientSideCache['stats']> {
    if (this.#hits > 0) {
      this.recordHits(this.#hits);
      this.#hits = 0;
    }
    return super.stats();
  }
}

/** A flat copy: a slice of the key would keep the whole key string alive in the map. */
function flat(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(
      `RedisRevocationCache: ${name} must be a positive integer, got ${String(value)}`,
    );
  }
}
