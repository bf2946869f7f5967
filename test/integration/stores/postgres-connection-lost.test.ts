/**
 * A PostgreSQL connection lost while `PostgresRefreshTokenStore.rotate()` holds it (checked out
 * of the pool for its transaction). A checked-out pg client has no 'error' listener of the
 * pool's; without one of the store's, the client's 'error' event is an uncaught exception,
 * which ends a Node process. Here the server hangs mid-rotation (SIGSTOP) and is then killed.
 */
import pg from 'pg';
import { StoreUnavailableError } from '../../../lib/core/errors';
import { guardStoreCall } from '../../../lib/security/store-guard';
import { PostgresRefreshTokenStore } from '../../../stores/sql/postgres';
import { postgresUnavailable, PrivatePostgres } from '../../helpers/private-postgres';
import { describeWithBinaries } from '../../helpers/private-server';

describeWithBinaries(
  postgresUnavailable(),
  'PostgreSQL connection lost during a rotation (private server)',
  () => {
    let server: PrivatePostgres;
    let pool: pg.Pool;
    const poolErrors: Error[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);

    beforeAll(async () => {
      server = await PrivatePostgres.start();
      pool = new pg.Pool({ ...server.connection(), max: 2 });
      pool.on('error', (err) => poolErrors.push(err));
    }, 60_000);
    afterAll(async () => {
      await pool?.end().catch(() => undefined);
      await server?.destroy();
    });

    it('rejects with StoreUnavailableError, no uncaught error, and the pool serves again after a restart', async () => {
      const store = new PostgresRefreshTokenStore({ pool });
      await store.migrate();
      await store.register('old', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      // Jest turns an uncaught 'error' event into a failure of this test, but the listener
      // makes the count explicit.
      process.prependListener('uncaughtException', onUncaught);
      try {
        server.pause();
        // As a policy calls it: its guard gives up after 300 ms and passes the deadline.
        const rotation = guardStoreCall(
          undefined,
          () => store.rotate('old', 'new', 60, { userId: 'u', deadline: Date.now() + 300 }),
          { timeoutMs: 300, store: 'postgres' },
        );
        await expect(rotation).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(pool.totalCount - pool.idleCount).toBe(1); // the rotation still holds its client
        await server.kill(); // the held connection dies under the store
        await new Promise((r) => setTimeout(r, 200));
        expect(uncaught).toEqual([]);
        expect(pool.totalCount - pool.idleCount).toBe(0); // given back (and thrown away)
      } finally {
        process.removeListener('uncaughtException', onUncaught);
        server.resume();
      }
      await server.start();
      await expect(store.isValid('old', 'u')).resolves.toBe(true); // the rotation never committed
      await expect(store.rotate('old', 'new', 60, { userId: 'u' })).resolves.toMatchObject({
        status: 'rotated',
      });
      expect(pool.waitingCount).toBe(0);
    }, 30_000);

    it('does not crash when the connection fails right as the pool hands it over', async () => {
      // When one socket read holds both the end of a query and the server's FATAL (fast
      // shutdown), pg-pool hands the freed client to the next waiter and pg emits 'error' in
      // the same turn: before an `await pool.connect()` can resume and add its listener. Seen
      // about once per 15 fast shutdowns under traffic; here the error is emitted right after
      // the hand-over (a microtask queued on 'acquire' runs before the awaiting code resumes).
      const store = new PostgresRefreshTokenStore({ pool });
      await store.register('handover', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      let armed = true;
      const onAcquire = (client: pg.PoolClient): void => {
        if (!armed) return;
        armed = false;
        queueMicrotask(() => {
          client.emit('error', new Error('terminating connection due to administrator command'));
        });
      };
      pool.on('acquire', onAcquire);
      process.prependListener('uncaughtException', onUncaught);
      try {
        await store.rotate('handover', 'handover-2', 60, { userId: 'u' }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
        expect(uncaught).toEqual([]);
      } finally {
        process.removeListener('uncaughtException', onUncaught);
        pool.off('acquire', onAcquire);
      }
      expect(pool.totalCount - pool.idleCount).toBe(0);
      await expect(store.isValid('handover-2', 'u')).resolves.toBeDefined();
    });
  },
);
