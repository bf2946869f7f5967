/**
 * Writing the package's answers with plain `node:http` calls, so Express 4/5, Connect, Koa's
 * `ctx.res` and bare servers all answer the same bytes. Token answers and auth failures are
 * never cached by a proxy or the browser.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorResponse } from '../../core/error-response';
import type { FlowResponse } from '../flows/context';
import { appendSetCookie } from './cookies';

type Writable = Pick<ServerResponse, 'getHeader' | 'setHeader' | 'end'> & { statusCode: number };

/** A flow's answer: its cookies, its status and its JSON body. */
export function sendFlowResponse(res: Writable, answer: FlowResponse): void {
  appendSetCookie(res, answer.setCookie);
  res.statusCode = answer.status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

/** A mapped error (`toErrorResponse`): its status, challenge and `Retry-After`, the Python body. */
export function sendErrorResponse(res: Writable, response: ErrorResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(response.body));
}
