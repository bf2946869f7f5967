/**
 * One revocation consumer for `bench/tracking.ts`: a `TokenPolicy` on a tracking client of
 * BENCH_REDIS_URL. Reads its tokens (a JSON array, one line) on stdin, checks each once (all
 * are then answered locally), prints `READY`, and from then on, whenever Redis reports a write
 * of one of their keys, validates that token at once and records when it was refused
 * (`process.hrtime`, CLOCK_MONOTONIC: one clock for every process of the machine). On the
 * stdin line `DONE` it prints `RESULT <json>` and exits.
 */
import readline from 'node:readline';
import { InvalidTokenError } from '../../lib/core/errors';
import { TokenPolicy } from '../../lib/security/token-policy';
import { createRedisClient } from '../../stores/redis/connect';
import type { RedisRevocationCache } from '../../stores/redis/revocation-cache';
import { RedisRevocationStore } from '../../stores/redis/revocation-store';
import { benchValidator, jtiOf } from '../tracking-parts';

interface Seen {
  /** hrtime (ns, as a string) when the invalidation was handled. */
  invalidated: string;
  /** hrtime when the next request was refused, or undefined if it was not. */
  refused?: string;
}

async function main(): Promise<void> {
  const client = createRedisClient({ url: process.env.BENCH_REDIS_URL, clientCache: {} });
  await client.connect();
  const policy = new TokenPolicy({
    validator: benchValidator(),
    revocationStore: new RedisRevocationStore({ client }),
  });
  const cache = client.clientSideCache as RedisRevocationCache;
  const lines = readline.createInterface({ input: process.stdin });
  const seen: Record<string, Seen> = {};
  let tokens = new Map<string, string>();
  for await (const line of lines) {
    if (line === 'DONE') break;
    const list = JSON.parse(line) as string[];
    tokens = new Map(list.map((token) => [`jwt:blacklist:${jtiOf(token)}`, token]));
    for (const token of list) await policy.validate(token);
    cache.on('invalidate', (key: unknown) => {
      const token = tokens.get(String(key));
      if (token === undefined) return;
      const entry: Seen = { invalidated: String(process.hrtime.bigint()) };
      seen[String(key)] = entry;
      policy.validate(token).then(
        () => undefined,
        (err: unknown) => {
          if (err instanceof InvalidTokenError) entry.refused = String(process.hrtime.bigint());
        },
      );
    });
    process.stdout.write('READY\n');
  }
  process.stdout.write(`RESULT ${JSON.stringify({ seen, local: cache.size() })}\n`);
  client.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
