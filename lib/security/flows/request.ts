/** What the flows read of a request: the login body, the refresh token, the client. */
import Joi from 'joi';
import { InvalidRequestError, InvalidTokenError, Messages } from '../../core/errors';
import { readCookie } from '../../core/extract-token';
import type { FlowContext, FlowRequest } from './context';

const loginSchema = Joi.object({
  email: Joi.string().email({ tlds: false }).max(254).required(),
  password: Joi.string().min(1).max(1024).required(),
}).unknown(true);

const refreshBodySchema = Joi.object({ refresh_token: Joi.string().max(8192) }).unknown(true);

export interface Credentials {
  email: string;
  password: string;
}

/** The login body, or the 400 joi's `ValidationError` maps to. */
export function credentialsOf(request: FlowRequest): Credentials {
  return Joi.attempt(request.body ?? {}, loginSchema) as Credentials;
}

/**
 * The presented refresh token: the body's `refresh_token` or, in cookie mode, the refresh
 * cookie (then CSRF-checked: a cookie is sent by the browser on its own). Both, differing: 400.
 */
export function refreshTokenOf(ctx: FlowContext, request: FlowRequest): string {
  const { refresh_token: fromBody } = Joi.attempt(request.body ?? {}, refreshBodySchema) as {
    refresh_token?: string;
  };
  const fromCookie = refreshCookieOf(ctx, request);
  if (fromBody !== undefined && fromCookie !== undefined && fromBody !== fromCookie) {
    throw new InvalidRequestError('More than one refresh token sent', ctx.realm);
  }
  const token = fromBody ?? fromCookie;
  if (token === undefined || token === '') {
    throw new InvalidTokenError(Messages.REFRESH_MISSING, 'missing', 'refresh', {
      realm: ctx.realm,
    });
  }
  if (fromBody === undefined) ctx.cookies?.refreshCsrf?.(request); // cookie-borne: prove same origin
  return token;
}

function refreshCookieOf(ctx: FlowContext, request: FlowRequest): string | undefined {
  const name = ctx.cookies?.refreshCookie;
  if (name === undefined) return undefined;
  const parsed = request.cookies?.[name];
  return typeof parsed === 'string' ? parsed : readCookie(request.headers.cookie, name);
}

/** The first value of a header. */
export function headerOf(request: FlowRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
