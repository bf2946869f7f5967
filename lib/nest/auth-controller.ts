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
import type { FlowRoute } from '../security/http/flow-routes';
import { AuthFlowsService, ROUTES } from './auth-flows.service';
import { Public } from './decorators';
import type { NestRequest } from './http';

type Handler = (this: { service: AuthFlowsService }, ...args: unknown[]) => Promise<void>;

/** A controller class mounting every flow route under `prefix` (e.g. `auth`). */
export function createAuthController(prefix: string): Type<unknown> {
  class AuthRoutesController {
    constructor(readonly service: AuthFlowsService) {}
  }
  const proto = AuthRoutesController.prototype as unknown as Record<string, Handler>;
  // Handler names as an app would write them (Nest shows them in its route errors).
  for (const [name, route] of Object.entries(ROUTES)) mountRoute(proto, name, route);
  Controller(prefix)(AuthRoutesController);
  Public()(AuthRoutesController);
  Inject(AuthFlowsService)(AuthRoutesController, undefined, 0);
  return AuthRoutesController;
}

function mountRoute(proto: Record<string, Handler>, name: string, route: FlowRoute): void {
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
