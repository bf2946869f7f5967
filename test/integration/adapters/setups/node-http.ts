import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningAdapter } from './types';

/** Listen on a free local port; close() also drops kept-alive connections. */
export async function listen(server: http.Server): Promise<RunningAdapter> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
