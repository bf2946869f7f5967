import http from 'node:http';
import { createApp as createKoaApp } from '../../../../examples/koa-bridge/app';
import { quietLogger } from '../../express/auth-fixture';
import { listen } from './node-http';
import type { AdapterSetup } from './types';

export const koaSetup: AdapterSetup = {
  name: 'koa',
  start: (options) =>
    listen(http.createServer(createKoaApp({ ...options, logger: quietLogger }).callback())),
};
