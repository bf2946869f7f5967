/**
 * `npm start`: runs the example service on Express, on PORT (default 3000). Start-up, refusal
 * and shutdown are the examples' shared runner (`../common/run-server.ts`).
 */
import type { AddressInfo } from 'node:net';
import { runExample } from '../common/run-server';
import { createApp } from './app';

runExample(async (services, { host, port }) => {
  const server = createApp(services).listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() open; end idle ones now.
        server.closeIdleConnections();
      }),
  };
});
