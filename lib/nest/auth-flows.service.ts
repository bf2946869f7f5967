/**
 * `AuthFlowsService`: the auth flows over Nest's request and response, for an app that writes
 * its own controller (the module's ready controller calls it too). Each method reads the
 * request (415 for a body that is not JSON), runs the flow and answers it: cookies,
 * `Cache-Control: no-store`, status and JSON body. Failures are thrown for the exception filter.
 */
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ConfigurationError } from '../core/errors';
import type { AuthFlows } from '../security/flows/auth-flows';
import { FLOW_ROUTES, type FlowRoute } from '../security/http/flow-routes';
import { flowRequestOf, replyFlow, type NestRequest } from './http';
import { AUTH_FLOWS } from './tokens';

function routeOf(method: FlowRoute['method'], path: FlowRoute['path']): FlowRoute {
  const route = FLOW_ROUTES.find((r) => r.method === method && r.path === path);
  if (route === undefined) throw new ConfigurationError(`No flow route ${method} ${path}.`);
  return route;
}

/**
 * The service's methods (and the ready controller's handler names, as an app would write
 * them) over the package's route table, looked up once.
 */
export const ROUTES = {
  login: routeOf('POST', '/login'),
  refresh: routeOf('POST', '/refresh'),
  logout: routeOf('POST', '/logout'),
  logoutAll: routeOf('POST', '/logout-all'),
  listSessions: routeOf('GET', '/sessions'),
  revokeSession: routeOf('DELETE', '/sessions/:id'),
};

/**
 * Use with `@Req()` and `@Res()` (not passthrough: the service answers):
 * `@Post('login') login(@Req() req, @Res() res) { return this.auth.login(req, res); }`.
 */
export class AuthFlowsService {
  constructor(
    private readonly flows: AuthFlows | null,
    private readonly adapterHost: Pick<HttpAdapterHost, 'httpAdapter'>,
  ) {}

  login(req: NestRequest, res: unknown): Promise<void> {
    return this.run(ROUTES.login, req, res);
  }

  refresh(req: NestRequest, res: unknown): Promise<void> {
    return this.run(ROUTES.refresh, req, res);
  }

  logout(req: NestRequest, res: unknown): Promise<void> {
    return this.run(ROUTES.logout, req, res);
  }

  logoutAll(req: NestRequest, res: unknown): Promise<void> {
    return this.run(ROUTES.logoutAll, req, res);
  }

  listSessions(req: NestRequest, res: unknown): Promise<void> {
    return this.run(ROUTES.listSessions, req, res);
  }

  revokeSession(req: NestRequest, res: unknown, sessionId: string): Promise<void> {
    return this.run(ROUTES.revokeSession, req, res, { id: sessionId });
  }

  /**
   * Ends every session of a user with no request (an account disabled or deleted, an
   * administrator's action: ASVS 5 V7.4.2, V7.4.5). Resolves how many session records ended.
   */
  endUserSessions(userId: string): Promise<number> {
    return this.flowsOrThrow().endUserSessions(userId);
  }

  /** One route of the package's table (`FLOW_ROUTES`). */
  async run(
    route: FlowRoute,
    req: NestRequest,
    res: unknown,
    params: { id?: string } = {},
  ): Promise<void> {
    const answer = await route.run(this.flowsOrThrow(), await flowRequestOf(req), params);
    replyFlow(this.adapterHost.httpAdapter, res, answer);
  }

  private flowsOrThrow(): AuthFlows {
    if (this.flows === null) {
      throw new ConfigurationError(
        'AuthFlowsService needs the flows: give AuthModule issuer, refreshPolicy and findUser.',
      );
    }
    return this.flows;
  }
}

Injectable()(AuthFlowsService);
Inject(AUTH_FLOWS)(AuthFlowsService, undefined, 0);
Inject(HttpAdapterHost)(AuthFlowsService, undefined, 1);
