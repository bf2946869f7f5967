/** `POST /auth/login`: credentials in, a pair and a new session out. */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError, NotFoundError, RateLimitedError } from '../../core/errors';
import { callHook } from '../hooks';
import { storedUserId } from '../user-id';
import { pairAnswer } from './answer';
import type { FlowContext, FlowRequest, FlowResponse } from './context';
import { credentialsOf } from './request';
import { openSession } from './sessions';
import { issuePair } from './tokens';

/** The one answer to every refused login: no hint of which part was wrong. */
export const WRONG_CREDENTIALS = 'Incorrect email or password';

export async function login(ctx: FlowContext, request: FlowRequest): Promise<FlowResponse> {
  const verify = ctx.verifyCredentials;
  if (verify === undefined) throw new NotFoundError('Not Found.');
  // In cookie mode a login sets cookies: like every unsafe cookie route it must come from one
  // of our origins (login CSRF, ASVS 5 V3), whatever the body looks like.
  ctx.cookies?.refreshCsrf?.(request);
  const { email, password } = credentialsOf(request);
  // Counted before the check, so a flood of guesses is counted as it arrives (429 past the limit).
  const attempt = await ctx.loginLimiter?.attempt(email, request.ip).catch((error: unknown) => {
    if (error instanceof RateLimitedError) {
      callHook(ctx.hooks, 'onLogin', { result: 'rate_limited' }, ctx.logger);
    }
    throw error;
  });
  const user = await verify(email, password);
  if (!user || user.is_active === false) {
    const result = user ? 'inactive_user' : 'wrong_credentials';
    callHook(ctx.hooks, 'onLogin', { result }, ctx.logger);
    // A login form is no bearer-protected resource: no challenge.
    throw new InvalidRequestError(WRONG_CREDENTIALS, ctx.realm, { challenge: false });
  }
  await attempt?.succeeded();
  const issuedAt = ctx.now();
  const pair = issuePair(ctx, user, { jti: randomUUID(), issuedAt, authTime: issuedAt });
  await ctx.refreshPolicy.register(pair.refresh.jti, {
    userId: storedUserId(user.sub),
    familyId: pair.refresh.familyId,
    ttlSeconds: ctx.issuer.refreshTtlSeconds,
  });
  const sessionId = await openSession(ctx, user, pair, request, issuedAt);
  callHook(ctx.hooks, 'onLogin', { result: 'success' }, ctx.logger);
  return pairAnswer(ctx, {
    access: pair.access.token,
    refresh: pair.refresh.token,
    refreshExpiresAt: pair.refresh.expiresAt,
    sessionId,
  });
}
