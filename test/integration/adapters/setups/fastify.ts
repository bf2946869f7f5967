import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { authErrorHandler, authPlugin } from 'auth-sdk-m8/fastify';
import { quietLogger } from '../../express/auth-fixture';
import type { AdapterSetup } from './types';

export const fastifySetup: AdapterSetup = {
  name: 'fastify',
  start: async (options) => {
    const app = Fastify();
    await app.register(authPlugin, options);
    app.setErrorHandler(authErrorHandler({ logger: quietLogger }));
    app.route({
      method: ['GET', 'POST'],
      url: '/me',
      preHandler: app.authenticate,
      handler: async (request) => ({ sub: request.auth!.sub }),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: () => app.close(),
    };
  },
};
