/**
 * JSON schemas of the auth routes: the bodies they read and the answers they give, so
 * Fastify's tooling (`@fastify/swagger`, …) documents them and answers are serialized from a
 * fixed list of fields (fast-json-stringify: a field the schema does not list is not sent).
 * A flow that answers a new field needs it here: the Express comparison of
 * `test/integration/fastify/auth-routes.test.ts` fails until it is.
 */
import type { FastifySchema } from 'fastify';
import type { FlowRoute } from '../security/http/flow-routes';

const nullableString = { type: ['string', 'null'] } as const;

/** The Python `ResponseErrorBase`, every error's body. */
const errorBody = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    msg: nullableString,
    from_error: nullableString,
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { table: nullableString, field_name: nullableString, error: nullableString },
      },
    },
    status_code: { type: ['integer', 'null'] },
  },
} as const;

/** A new pair; in cookie mode the tokens that travel as cookies are left out, `csrf_token` added. */
const pairAnswer = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    session_id: { type: 'string' },
    csrf_token: { type: 'string' },
  },
} as const;

const doneAnswer = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    msg: { type: 'string' },
    sessions_revoked: { type: 'integer' },
  },
} as const;

const sessionList = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      provider: { type: 'string' },
      created_at: { type: 'string' },
      last_used_at: { type: 'string' },
      expires_at: { type: 'string' },
      user_agent: nullableString,
      ip: nullableString,
      current: { type: 'boolean' },
    },
  },
} as const;

/** Optional everywhere: logout and refresh also take the refresh token from a cookie. */
const refreshBody = {
  type: 'object',
  properties: { refresh_token: { type: 'string', maxLength: 8192 } },
} as const;

const loginBody = {
  type: 'object',
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', maxLength: 254 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

const answers = (ok: object) => ({ 200: ok, '4xx': errorBody, '5xx': errorBody });

/** One schema per route of the table: a route added there must get its schema here. */
export const FLOW_ROUTE_SCHEMAS: Readonly<Record<FlowRoute['path'], FastifySchema>> = {
  '/login': { body: loginBody, response: answers(pairAnswer) },
  '/refresh': { body: refreshBody, response: answers(pairAnswer) },
  '/logout': { body: refreshBody, response: answers(doneAnswer) },
  '/logout-all': { response: answers(doneAnswer) },
  '/sessions': { response: answers(sessionList) },
  '/sessions/:id': {
    params: { type: 'object', properties: { id: { type: 'string' } } },
    response: answers(doneAnswer),
  },
};

export const JWKS_SCHEMA: FastifySchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        keys: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
    },
    '5xx': errorBody,
  },
};
