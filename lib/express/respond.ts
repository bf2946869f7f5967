import type { ServerResponse } from 'node:http';
import type { ErrorResponse } from '../core/error-response';

/** Write a mapped error with plain Node calls, so Express 4/5 and bare Connect all work. */
export function sendErrorResponse(res: ServerResponse, response: ErrorResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  // An auth failure must never be cached by a proxy or the browser.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(response.body));
}
