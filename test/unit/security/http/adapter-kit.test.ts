/**
 * The adapter kit (`auth-sdk-m8/http`): the JSON body reader every adapter uses (only JSON is
 * a body: anything else with content is a 415, so a cross-site text/plain form cannot log a
 * victim in), and the one route table the adapters mount.
 */
import { Readable } from 'node:stream';
import { toErrorResponse } from '../../../../lib/core/error-response';
import { flowRouteMatcher, flowRoutes } from '../../../../lib/security/http/flow-routes';
import { readJsonBody } from '../../../../lib/security/http/json-body';

function request(body: string | undefined, headers: Record<string, string>, method = 'POST') {
  const stream = Readable.from(body === undefined ? [] : [Buffer.from(body)]) as Readable & {
    method: string;
    headers: Record<string, string>;
  };
  return Object.assign(stream, { method, headers });
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => 200,
    (err: unknown) => toErrorResponse(err).status,
  );
}

describe('readJsonBody', () => {
  it('parses application/json and +json bodies', async () => {
    const json = { 'content-type': 'application/json; charset=utf-8' };
    await expect(readJsonBody(request('{"a":1}', json))).resolves.toEqual({ a: 1 });
    const vendor = { 'content-type': 'application/vnd.api+json' };
    await expect(readJsonBody(request('{"b":2}', vendor))).resolves.toEqual({ b: 2 });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
  ])('refuses a JSON-looking body sent as %s: 415', async (_name, type) => {
    const body = '{"email":"attacker@evil.example","password":"x"}';
    await expect(statusOf(readJsonBody(request(body, { 'content-type': type })))).resolves.toBe(
      415,
    );
  });

  it('refuses a body with no content type: 415', async () => {
    await expect(statusOf(readJsonBody(request('{"a":1}', {})))).resolves.toBe(415);
  });

  it('reads no body as undefined, whatever the content type (a logout without a body)', async () => {
    await expect(readJsonBody(request(undefined, {}))).resolves.toBeUndefined();
    await expect(
      readJsonBody(request('', { 'content-type': 'text/plain' })),
    ).resolves.toBeUndefined();
    await expect(readJsonBody(request('{}', {}, 'GET'))).resolves.toBeUndefined();
  });

  it('answers 400 for malformed JSON and 413 past the limit', async () => {
    const json = { 'content-type': 'application/json' };
    await expect(statusOf(readJsonBody(request('{"a":', json)))).resolves.toBe(400);
    const big = JSON.stringify({ a: 'x'.repeat(20_000) });
    await expect(statusOf(readJsonBody(request(big, json)))).resolves.toBe(413);
  });

  it("takes what a body parser left, but not a parser's non-JSON body", async () => {
    const parsed = Object.assign(request(undefined, { 'content-type': 'application/json' }), {
      body: { refresh_token: 't' },
    });
    await expect(readJsonBody(parsed)).resolves.toEqual({ refresh_token: 't' });
    const text = Object.assign(request(undefined, { 'content-type': 'text/plain' }), {
      body: '{"email":"a@b.c"}',
    });
    await expect(statusOf(readJsonBody(text))).resolves.toBe(415);
    // express.json() leaves `{}` on a request it did not parse: nothing was sent.
    const skipped = Object.assign(request(undefined, { 'content-type': 'text/plain' }), {
      body: {},
    });
    await expect(readJsonBody(skipped)).resolves.toBeUndefined();
  });
});

describe('the flow route table', () => {
  it('lists the routes under the prefix, login only when enabled', () => {
    expect(flowRoutes({ login: true }).map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /auth/login',
      'POST /auth/refresh',
      'POST /auth/logout',
      'POST /auth/logout-all',
      'GET /auth/sessions',
      'DELETE /auth/sessions/:id',
    ]);
    expect(flowRoutes({ prefix: '/v1/auth/', login: false }).map((r) => r.url)).not.toContain(
      '/v1/auth/login',
    );
  });

  it('matches methods, paths, the session id (decoded) and nothing else', () => {
    const match = flowRouteMatcher({ login: false });
    expect(match('POST', '/auth/refresh?x=1')?.route.path).toBe('/refresh');
    expect(match('GET', '/auth/refresh')).toBeUndefined();
    expect(match('POST', '/auth/login')).toBeUndefined();
    expect(match('DELETE', '/auth/sessions/a%20b')?.params).toEqual({ id: 'a b' });
    expect(match('DELETE', '/auth/sessions/%E0%A4%A')?.params).toEqual({ id: '%E0%A4%A' });
    expect(match('DELETE', '/auth/sessions/')).toBeUndefined();
    expect(match('DELETE', '/auth/sessions/a/b')).toBeUndefined();
    expect(match('POST', '/other')).toBeUndefined();
  });
});
