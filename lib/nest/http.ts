/**
 * The request and the response of either Nest platform, read and written without knowing which:
 * both requests carry the method, headers, parsed body and client address under the same names;
 * answers go through Nest's own HTTP adapter (`HttpServer`), so `@nestjs/platform-express` and
 * `-fastify` send the same.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpServer } from '@nestjs/common';
import type { ErrorResponse } from '../core/error-response';
import type { TokenUserData } from '../core/types';
import type { FlowRequest, FlowResponse } from '../security/flows/auth-flows';
import { readJsonBody, type BodyRequest } from '../security/http/json-body';

/** What the adapter reads of Express's `req` and Fastify's `request` (and what the guard sets). */
export interface NestRequest {
  method?: string | undefined;
  headers: IncomingHttpHeaders;
  /** Parsed cookies (cookie-parser, @fastify/cookie); otherwise the `Cookie` header is read. */
  cookies?: Record<string, unknown> | null | undefined;
  body?: unknown;
  ip?: string | undefined;
  socket?: { remoteAddress?: string | undefined } | undefined;
  /** Set by the guard: the `UserModel` (or a Passport strategy's user). */
  user?: unknown;
  /** Set by the guard: the verified claims. */
  auth?: TokenUserData | undefined;
}

/** The request as the flows read it, its JSON body included (415 for a body that is not JSON). */
export async function flowRequestOf(req: NestRequest): Promise<FlowRequest> {
  // Express's request is the Node stream (read when no parser took the body); Fastify's
  // carries the parsed body, and Fastify itself refuses a body it has no parser for (415).
  const body = await readJsonBody(req as BodyRequest);
  return {
    method: req.method,
    headers: req.headers,
    cookies: req.cookies ?? undefined,
    body,
    ip: req.ip ?? req.socket?.remoteAddress,
  };
}

type Adapter = Pick<HttpServer, 'setHeader' | 'reply'> & {
  appendHeader?: ((response: unknown, name: string, value: string) => unknown) | undefined;
};

/** A flow's answer: its cookies, `Cache-Control: no-store`, its status and JSON body. */
export function replyFlow(adapter: Adapter, response: unknown, answer: FlowResponse): void {
  if (answer.setCookie.length > 0) appendSetCookie(adapter, response, answer.setCookie);
  adapter.setHeader(response, 'Cache-Control', 'no-store');
  adapter.reply(response, answer.body, answer.status);
}

/** A mapped error (`toErrorResponse`): its status, challenge and `Retry-After`, the Python body. */
export function replyError(adapter: Adapter, response: unknown, mapped: ErrorResponse): void {
  for (const [name, value] of Object.entries(mapped.headers)) {
    adapter.setHeader(response, name, value);
  }
  adapter.setHeader(response, 'Cache-Control', 'no-store');
  adapter.reply(response, mapped.body, mapped.status);
}

function appendSetCookie(adapter: Adapter, response: unknown, cookies: string[]): void {
  if (adapter.appendHeader !== undefined) {
    for (const cookie of cookies) adapter.appendHeader(response, 'Set-Cookie', cookie);
    return;
  }
  // Nest before 10.4 has no appendHeader: Express's res.set and Fastify's reply.header both
  // take the list (Express replaces the header, Fastify appends to it).
  adapter.setHeader(response, 'Set-Cookie', cookies as unknown as string);
}
