/**
 * The auth routes as data: every adapter mounts the same table (Express as one middleware,
 * Fastify as routes, Koa and plain `node:http` by `flowRouteMatcher`), so the routes cannot
 * drift between frameworks.
 */
import type { AuthFlows } from '../flows/auth-flows';
import type { FlowRequest, FlowResponse } from '../flows/context';

export interface FlowRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Below the prefix; `:id` is the one parameter (a session id). */
  path: '/login' | '/refresh' | '/logout' | '/logout-all' | '/sessions' | '/sessions/:id';
  /** The flow behind the route. */
  run(flows: AuthFlows, request: FlowRequest, params: { id?: string }): Promise<FlowResponse>;
}

/** Every route; `/login` only where credentials can be checked (`verifyCredentials`). */
export const FLOW_ROUTES: readonly FlowRoute[] = Object.freeze([
  { method: 'POST', path: '/login', run: (flows, request) => flows.login(request) },
  { method: 'POST', path: '/refresh', run: (flows, request) => flows.refresh(request) },
  { method: 'POST', path: '/logout', run: (flows, request) => flows.logout(request) },
  { method: 'POST', path: '/logout-all', run: (flows, request) => flows.logoutAll(request) },
  { method: 'GET', path: '/sessions', run: (flows, request) => flows.listSessions(request) },
  {
    method: 'DELETE',
    path: '/sessions/:id',
    run: (flows, request, params) => flows.revokeSession(request, params.id ?? ''),
  },
]);

/** The routes under `prefix` (default `/auth`), without login when it is off. */
export function flowRoutes(options: {
  prefix?: string | undefined;
  login: boolean;
}): Array<FlowRoute & { url: string }> {
  const prefix = normalPrefix(options.prefix);
  return FLOW_ROUTES.filter((r) => options.login || r.path !== '/login').map((r) => ({
    ...r,
    url: `${prefix}${r.path}`,
  }));
}

export interface MatchedFlowRoute {
  route: FlowRoute;
  params: { id?: string };
}

/** A matcher over the table, for adapters that route by hand. */
export function flowRouteMatcher(options: {
  prefix?: string | undefined;
  login: boolean;
}): (method: string | undefined, url: string | undefined) => MatchedFlowRoute | undefined {
  const prefix = normalPrefix(options.prefix);
  const routes = flowRoutes(options);
  const exact = new Map(
    routes.filter((r) => !r.path.includes(':')).map((r) => [`${r.method} ${r.url}`, r]),
  );
  const session = routes.find((r) => r.path === '/sessions/:id');
  const sessionPath = `${prefix}/sessions/`;
  return (method, url) => {
    const path = (url ?? '').split('?')[0] ?? '';
    const found = exact.get(`${method ?? 'GET'} ${path}`);
    if (found !== undefined) return { route: found, params: {} };
    if (session === undefined || method !== 'DELETE' || !path.startsWith(sessionPath))
      return undefined;
    const raw = path.slice(sessionPath.length);
    if (raw === '' || raw.includes('/')) return undefined;
    return { route: session, params: { id: decodeSegment(raw) } };
  };
}

function normalPrefix(prefix: string | undefined): string {
  return (prefix ?? '/auth').replace(/\/+$/, '');
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a malformed escape is just an unknown session id (404)
  }
}
