/**
 * The auth flows (login, refresh, logout, logout everywhere, sessions), framework-free: each
 * takes a request-like object and resolves the answer (`status`, JSON `body`, `Set-Cookie`
 * values) or rejects with a typed `AuthError` the adapter maps with `toErrorResponse`. Each
 * flow is its own module over one compiled context (`context.ts`); every request runs in one
 * store budget (`timeoutMs`), so a hung store costs it one timeout, not one per call.
 */
import { withRequestDeadline } from '../request-deadline';
import { traceFlow, type FlowSpanName } from '../tracing';
import type { RequestAuthenticator } from '../http/request-authenticator';
import {
  compileFlowContext,
  type AuthFlowsOptions,
  type FlowContext,
  type FlowRequest,
  type FlowResponse,
} from './context';
import { login } from './login';
import { endAllSessions, logout, logoutAll } from './logout';
import { refresh } from './refresh';
import { listSessions, revokeSession } from './sessions';

export type {
  AuthCookieMode,
  AuthFlowsOptions,
  AuthUser,
  FlowRequest,
  FlowResponse,
} from './context';

export interface AuthFlows {
  login(request: FlowRequest): Promise<FlowResponse>;
  refresh(request: FlowRequest): Promise<FlowResponse>;
  logout(request: FlowRequest): Promise<FlowResponse>;
  logoutAll(request: FlowRequest): Promise<FlowResponse>;
  listSessions(request: FlowRequest): Promise<FlowResponse>;
  revokeSession(request: FlowRequest, sessionId: string): Promise<FlowResponse>;
  /**
   * Ends every session of a user, no request needed: when the app disables or deletes the
   * account, or an administrator ends its sessions. Every token of the user stops working at
   * every consumer. Resolves how many session records ended.
   */
  endUserSessions(userId: string): Promise<number>;
  /** The access-token pipeline the flows authenticate with (for the adapter's own routes). */
  readonly authenticate: RequestAuthenticator;
}

type Flow<A extends unknown[]> = (
  ctx: FlowContext,
  request: FlowRequest,
  ...rest: A
) => Promise<FlowResponse>;

/** Build the flows once (validation of options, guards, the pipeline), never per request. */
export function createAuthFlows(options: AuthFlowsOptions): AuthFlows {
  const ctx = compileFlowContext(options);
  // Every flow: its span, and one store budget for all its calls.
  const run = <T>(span: FlowSpanName, work: () => Promise<T>): Promise<T> =>
    traceFlow(span, () => withRequestDeadline(ctx.budgetMs, work));
  const bind =
    <A extends unknown[]>(span: FlowSpanName, flow: Flow<A>) =>
    (request: FlowRequest, ...rest: A): Promise<FlowResponse> =>
      run(span, () => flow(ctx, request, ...rest));
  return {
    login: bind('auth.login', login),
    refresh: bind('auth.refresh', refresh),
    logout: bind('auth.logout', logout),
    logoutAll: bind('auth.logout_all', logoutAll),
    listSessions: bind('auth.sessions.list', listSessions),
    revokeSession: bind('auth.sessions.revoke', revokeSession),
    endUserSessions: (userId) => run('auth.sessions.end_user', () => endAllSessions(ctx, userId)),
    authenticate: ctx.authenticate,
  };
}
