/**
 * Redis clients for tests and the bench: a client of the machine's Redis that never crashes
 * the test on a connection error, prefix cleanup, and exact counting of what a client sends
 * (MONITOR on the server, filtered to its address) and of its round trips (a TCP relay that
 * counts its writes).
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { services } from './services';
import { startTcpRelay, type TcpRelay } from './tcp-relay';

export type TestRedisClient = ReturnType<typeof createClient>;

/** A connected client (default: the machine's Redis), no offline queue, errors swallowed. */
export async function connectRedis(url: string = services.redis.url): Promise<TestRedisClient> {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Delete every key under `prefix`. */
export async function dropRedisPrefix(client: TestRedisClient, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
}

/**
 * A TCP relay to Redis that counts the writes its clients make. node-redis writes the commands
 * queued in one tick with one corked write, so one write is one round trip: the client
 * writes again only after it has read what it waited for.
 */
export class CountingRelay {
  private constructor(
    readonly relay: TcpRelay,
    private readonly count: { writes: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<CountingRelay> {
    const count = { writes: 0 };
    const relay = await startTcpRelay(target, () => () => {
      count.writes += 1;
    });
    return new CountingRelay(relay, count);
  }

  /** Writes its clients have made so far. */
  get writes(): number {
    return this.count.writes;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.relay.port}`;
  }

  close(): Promise<void> {
    return this.relay.close();
  }
}

/**
 * The commands `client` sends while `action` runs, in order, as the server saw them (MONITOR
 * on a second connection to `monitorUrl`, filtered to the client's address, ended by an ECHO
 * marker; commands run inside a script are not counted), and the round trips (writes through
 * `relay`, which `client` must be connected through).
 */
export async function commandsOf(
  client: TestRedisClient,
  relay: CountingRelay,
  monitorUrl: string,
  action: () => Promise<unknown>,
): Promise<{ commands: string[]; roundTrips: number }> {
  const { addr } = await client.clientInfo();
  const monitor = await connectRedis(monitorUrl);
  const seen: string[] = [];
  const marker = `end-${randomUUID()}`;
  let markerSeen: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (markerSeen = resolve));
  try {
    await monitor.monitor((line: string) => {
      const match = /^\S+ \[\d+ (\S+)\] "([^"]+)"(.*)$/.exec(line);
      if (match === null || match[1] !== addr) return;
      const name = match[2]!.toUpperCase();
      if (name === 'ECHO' && match[3]!.includes(marker)) markerSeen();
      else seen.push(name);
    });
    const before = relay.writes;
    await action();
    const roundTrips = relay.writes - before;
    await client.echo(marker);
    await ended;
    return { commands: seen, roundTrips };
  } finally {
    monitor.destroy();
  }
}
