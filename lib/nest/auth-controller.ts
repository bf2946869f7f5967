/**
 * The auth routes as a Nest controller, made from the package's route table (`FLOW_ROUTES`), so
 * they cannot drift from the other adapters': `POST {prefix}/login`, `/refresh`, `/logout`,
 * `/logout-all`, `GET {prefix}/sessions`, `DELETE {prefix}/sessions/:id`. The controller is
 * `@Public()`: the flows authenticate the routes that need it themselves.
 */
import {
  Controller,
  Inject,
  Param,
  Req,
  RequestMapping,
  RequestMethod,
  Res,
  type Type,
} from '@nestjs/common';
import { FLOW_ROUTES, type FlowRoute } from '../security/http/flow-routes';
import { AuthFlowsService } from './auth-flows.service';
import { Public } from './decorators';
import type { NestRequest } from './http';

/** Handler names, as an app would write them (Nest shows them in its route errors). */
const HANDLER_NAMES: Record<string, string> = {
  'POST /login': 'login',
  'POST /refresh': 'refresh',
  'POST /logout': 'logout',
  'POST /logout-all': 'logoutAll',
  'GET /sessions': 'listSessions',
  'DELETE /sessions/:id': 'revokeSession',
};

type Handler = (this: { service: AuthFlowsService }, ...args: unknown[]) => Promise<void>;

/** A controller class mounting every flow route under `prefix` (e.g. `auth`). */
export function createAuthController(prefix: string): Type<unknown> {
  class AuthRoutesController {
    constructor(readonly service: AuthFlowsService) {}
  }
  const proto = AuthRoutesController.prototype as unknown as Record<string, Handler>;
  for (const route of FLOW_ROUTES) mountRoute(proto, route);
  Controller(prefix)(AuthRoutesController);
  Public()(AuthRoutesController);
  Inject(AuthFlowsService)(AuthRoutesController, undefined, 0);
  return AuthRoutesController;
}

function mountRoute(proto: Record<string, Handler>, route: FlowRoute): void {
  const key = `${route.method} ${route.path}`;
  const name = HANDLER_NAMES[key] ?? key;
  const withId = route.path.includes(':id');
  proto[name] = function handle(req, res, id) {
    const params = withId ? { id: String(id) } : {};
    return this.service.run(route, req as NestRequest, res, params);
  };
  const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
  RequestMapping({ path: route.path, method: RequestMethod[route.method] })(
    proto,
    name,
    descriptor,
  );
  Req()(proto, name, 0);
  Res()(proto, name, 1);
  if (withId) Param('id')(proto, name, 2);
}
