/**
 * `npm run example:fastify`: runs the example service on Fastify, on PORT (default 3000), with
 * the same environment, start line and shutdown as the Express one (`../common/run-server.ts`).
 */
import type { AddressInfo } from 'node:net';
import { runExample } from '../common/run-server';
import { createApp } from './app';

runExample(async (services, { host, port }) => {
  const app = await createApp(services);
  await app.listen({ port, host });
  return {
    port: (app.server.address() as AddressInfo).port,
    // Waits for in-flight requests; idle keep-alive connections are closed at once.
    close: () => app.close(),
  };
});
