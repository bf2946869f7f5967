/**
 * Memory per entry of the revocation cache, in a `--expose-gc` child of `bench/tracking.ts`:
 * heapUsed after GC before and after BENCH_ENTRIES distinct jtis (UUIDs, as `TokenIssuer`
 * makes them) were checked once through a `RedisRevocationStore` on a tracking client of
 * BENCH_REDIS_URL, divided by their number. Prints one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { createRedisClient } from '../../stores/redis/connect';
import type { RedisRevocationCache } from '../../stores/redis/revocation-cache';
import { RedisRevocationStore } from '../../stores/redis/revocation-store';

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const entries = Number(process.env.BENCH_ENTRIES ?? 100_000);
  const client = createRedisClient({
    url: process.env.BENCH_REDIS_URL,
    clientCache: { maxEntries: entries },
  });
  await client.connect();
  const store = new RedisRevocationStore({ client });
  const cache = client.clientSideCache as RedisRevocationCache;
  // The jtis exist only while they are checked, as a request's token does.
  const check = async (worker: number): Promise<void> => {
    for (let i = worker; i < entries; i += 64) {
      const jti = randomUUID();
      JSON.stringify({ jti }); // as the issuer serializes it (flattens the string)
      await store.isRevoked(jti);
    }
  };
  await store.isRevoked(randomUUID()); // the client's own first-use allocations
  cache.clear();
  const heapBefore = heapAfterGc();
  await Promise.all(Array.from({ length: 64 }, (_, worker) => check(worker)));
  const heapAfter = heapAfterGc();
  if (cache.size() !== entries) throw new Error(`the cache holds ${cache.size()} of ${entries}`);
  const bytesPerEntry = (heapAfter - heapBefore) / entries;
  process.stdout.write(`${JSON.stringify({ entries, heapBefore, heapAfter, bytesPerEntry })}\n`);
  client.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
