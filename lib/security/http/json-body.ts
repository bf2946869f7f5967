/**
 * The JSON body of a flow request, for adapters whose framework has not parsed it (plain
 * `node:http`, Koa, Connect) and for those that have (Express with `express.json()`).
 * Only `application/json` (or `+json`) is a body here: anything else with content is a 415,
 * so a cross-site `<form enctype="text/plain">` cannot post a JSON-looking login (login CSRF).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Bodies the flows read are small (credentials, a refresh token). */
export const FLOW_BODY_LIMIT = 16 * 1024;

/** What the body reader reads: a Node request (a readable stream), maybe with a body a parser left on it. */
export interface BodyRequest {
  method?: string | undefined;
  headers: IncomingHttpHeaders;
  body?: unknown;
  readableEnded?: boolean | undefined;
  on?(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on?(event: 'end', listener: () => void): unknown;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  removeAllListeners?(event: 'data'): unknown;
  resume?(): unknown;
}

/** body-parser's error shapes (`type`, `status`), which `toErrorResponse` maps to 400/413/415. */
function bodyError(type: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { type, status });
}

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * The parsed JSON body, or undefined when there is none. Rejects with body-parser-shaped
 * errors: 415 for a body that is not JSON (whatever parsed it), 413 past `limit` bytes, 400
 * for malformed JSON.
 */
export async function readJsonBody(
  req: BodyRequest,
  limit: number = FLOW_BODY_LIMIT,
): Promise<unknown> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') return undefined;
  const contentType = single(req.headers['content-type']);
  const json = isJsonContentType(contentType);
  if (req.body !== undefined) {
    if (!json && hasContent(req.body)) throw unsupported();
    return json ? req.body : undefined;
  }
  const text = req.readableEnded === false && req.on ? await readText(req, limit) : '';
  if (text.trim() === '') return undefined;
  if (!json) throw unsupported();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bodyError('entity.parse.failed', 400, 'malformed JSON body');
  }
}

function unsupported(): Error {
  return bodyError('unsupported.media.type', 415, 'the body must be application/json');
}

/** A body some parser produced: an empty object or string (nothing sent) does not count. */
function hasContent(body: unknown): boolean {
  if (body === null || body === '') return false;
  if (typeof body === 'object' && !Buffer.isBuffer(body)) return Object.keys(body).length > 0;
  if (Buffer.isBuffer(body)) return body.length > 0;
  return true;
}

function readText(req: BodyRequest, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on!('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners?.('data');
        req.resume?.();
        reject(bodyError('entity.too.large', 413, 'request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on!('error', reject);
    req.on!('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
