/**
 * The flows behind `authRoutes()` over real HTTP on one backend's stores, with a clock the
 * test can advance (added to the wall clock the servers use), and the calls the tests make.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { authenticate, authRoutes, errorHandler } from 'auth-sdk-m8/express';
import { RefreshRateLimiter, type AuthUser } from 'auth-sdk-m8';
import { hsFlowParts } from '../../helpers/flow-parts';
import type { AuthRoutesHandler, AuthRoutesOptions } from 'auth-sdk-m8/express';
import type { Backend, BackendStores } from './backends';

export const quiet = { warn: () => undefined, error: () => undefined };
export const ALICE: AuthUser = {
  sub: randomUUID(),
  email: 'alice@example.com',
  role: 'user',
  is_active: true,
};
export const BOB: AuthUser = {
  sub: randomUUID(),
  email: 'bob@example.com',
  role: 'user',
  is_active: true,
};
/** Deactivated and reactivated by one test (each backend starts with her active). */
export const CAROL: AuthUser = {
  sub: randomUUID(),
  email: 'carol@example.com',
  role: 'user',
  is_active: true,
};
export const PASSWORD = 'correct horse battery staple';

export interface Harness {
  base: string;
  clock: { now: () => number; advance(ms: number): void };
  stores: BackendStores;
  /** The flows `authRoutes()` serves (its `.flows`), for what no route does. */
  flows: AuthRoutesHandler['flows'];
  close(): Promise<void>;
}

export async function harness(
  backend: Backend,
  extra: Partial<AuthRoutesOptions> | ((stores: BackendStores) => Partial<AuthRoutesOptions>) = {},
): Promise<Harness> {
  let offset = 0;
  const clock = { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
  const stores = await backend.open(clock.now);
  const { issuer, policy, refreshPolicy } = hsFlowParts({
    revocationStore: stores.revocation,
    refreshStore: stores.refresh,
    refresh: { graceSeconds: 10, clock: clock.now },
  });
  const users = new Map([ALICE, BOB, CAROL].map((u) => [u.sub, u]));
  const app = express();
  app.use(express.json());
  const routes = authRoutes({
    issuer,
    refreshPolicy,
    policy,
    sessions: stores.sessions,
    findUser: (id) => users.get(id),
    verifyCredentials: async (email, password) =>
      password === PASSWORD ? ([...users.values()].find((u) => u.email === email) ?? null) : null,
    rateLimit: new RefreshRateLimiter({
      store: stores.rateLimit,
      perFamily: { max: 50, windowSeconds: 60 },
      perIp: { max: 1000, windowSeconds: 60 },
      logger: quiet,
    }),
    clock: clock.now,
    logger: quiet,
    ...(typeof extra === 'function' ? extra(stores) : extra),
  });
  app.use(routes);
  app.get('/me', authenticate({ policy }), (req, res) => {
    res.json({ sub: req.auth!.sub });
  });
  app.use(errorHandler({ logger: quiet }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clock,
    stores,
    flows: routes.flows,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stores.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(
  h: Harness,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; agent?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.agent) headers['user-agent'] = options.agent;
  const res = await fetch(`${h.base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export const login = (h: Harness, user: AuthUser, agent = 'test-agent') =>
  call(h, 'POST', '/auth/login', { body: { email: user.email, password: PASSWORD }, agent });
export const refresh = (h: Harness, token: string) =>
  call(h, 'POST', '/auth/refresh', { body: { refresh_token: token } });
export const me = (h: Harness, token: string) => call(h, 'GET', '/me', { token });
