/**
 * The auth routes (login, refresh, logout, logout-all, sessions) as Fastify routes, from the
 * package's one route table (`flowRoutes`): this file only reads the request and writes the
 * flow's answer.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  createAuthFlows,
  type AuthFlowsOptions,
  type FlowRequest,
  type FlowResponse,
} from '../security/flows/auth-flows';
import { flowRoutes } from '../security/http/flow-routes';
import { readJsonBody } from '../security/http/json-body';
import { FLOW_ROUTE_SCHEMAS } from './route-schemas';

export interface FlowRoutesOptions extends AuthFlowsOptions {
  /** Path prefix of the routes. Default `/auth`. */
  prefix?: string | undefined;
}

/**
 * Adds every flow route to `scope` (an encapsulated scope: the body parser set here is the
 * scope's): `POST {prefix}/login` (with `verifyCredentials`), `/refresh`, `/logout`,
 * `/logout-all`, `GET {prefix}/sessions`, `DELETE {prefix}/sessions/:id`, with their schemas.
 */
export function addFlowRoutes(scope: FastifyInstance, options: FlowRoutesOptions): void {
  const flows = createAuthFlows(options);
  // The package's body reader for every content type: only JSON is a body (anything else
  // with content is a 415, so a cross-site form cannot post a login), 16 KiB at most.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', parseFlowBody);
  const login = options.verifyCredentials !== undefined;
  for (const route of flowRoutes({ prefix: options.prefix, login })) {
    scope.route<{ Params: { id?: string } }>({
      method: route.method,
      url: route.url,
      schema: FLOW_ROUTE_SCHEMAS[route.path],
      // The flows validate the body (joi), as under every adapter: the same 400 for the same
      // body. Fastify's Ajv would coerce `{ "refresh_token": 42 }` to "42" and answer first.
      validatorCompiler: () => (value) => ({ value }),
      // Express answers HEAD here with a 404; so does this (no HEAD twin of GET /sessions).
      exposeHeadRoute: false,
      handler: (request, reply) =>
        route
          .run(flows, flowRequestOf(request), request.params)
          .then((answer) => send(reply, answer)),
    });
  }
}

/** The raw body through `readJsonBody` (the stream may be a preParsing hook's, not the request). */
function parseFlowBody(request: FastifyRequest, payload: IncomingMessage): Promise<unknown> {
  return readJsonBody({
    method: request.method,
    headers: request.headers,
    readableEnded: payload.readableEnded,
    on: payload.on.bind(payload),
    removeAllListeners: payload.removeAllListeners.bind(payload),
    resume: payload.resume.bind(payload),
  });
}

function flowRequestOf(request: FastifyRequest): FlowRequest {
  return {
    method: request.method,
    headers: request.headers,
    // Parsed cookies when @fastify/cookie runs; the pipeline reads the Cookie header otherwise.
    cookies: (request as { cookies?: Record<string, unknown> }).cookies,
    body: request.body,
    ip: request.ip,
  };
}

function send(reply: FastifyReply, answer: FlowResponse): FastifyReply {
  if (answer.setCookie.length > 0) void reply.header('set-cookie', answer.setCookie);
  return reply
    .code(answer.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(answer.body);
}
