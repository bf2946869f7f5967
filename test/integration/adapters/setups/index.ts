/** Every adapter set-up the parity matrix runs through: one line each. */
import { expressSetup, passportSetup } from './express';
import { fastifySetup } from './fastify';
import { koaSetup } from './koa';
import type { AdapterSetup } from './types';

export const ADAPTER_SETUPS: readonly AdapterSetup[] = [
  expressSetup,
  passportSetup,
  koaSetup,
  fastifySetup,
];
