/**
 * The flows over the memory stores, every part on one test clock: what the flow unit tests
 * build. Real classes throughout (issuer, policies, validator, stores); only time is injected.
 */
import { randomUUID } from 'node:crypto';
import {
  RefreshTokenPolicy,
  TokenIssuer,
  TokenPolicy,
  TokenValidator,
  createAuthFlows,
  createValidationConfig,
  type AuthFlows,
  type AuthFlowsOptions,
  type AuthUser,
  type FlowRequest,
  type FlowResponse,
  type TokenUserData,
  type ValidationHooks,
} from 'auth-sdk-m8';
import {
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from 'auth-sdk-m8/stores/memory';
import type { RefreshTokenStore } from '../../../../lib/security/store-contracts';
import { testClock, type TestClock } from '../../../helpers/clock';
import { HS_SECRET, REFRESH_SECRET } from '../../../helpers/keys';

export const quiet = { warn: () => undefined, error: () => undefined };
export const PASSWORD = 'correct horse battery staple';

export interface FlowKit {
  clock: TestClock;
  flows: AuthFlows;
  issuer: TokenIssuer;
  policy: TokenPolicy;
  refreshPolicy: RefreshTokenPolicy;
  sessions: MemorySessionStore;
  revocations: MemoryRevocationStore;
  user: AuthUser;
  events: { failures: string[]; logins: string[] };
  /** Validates an access token as any consumer would (signature, claims, blacklist). */
  accessOk(token: string): Promise<boolean>;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  session_id?: string;
}

export function flowKit(
  options: Partial<AuthFlowsOptions> & {
    sessionLifetimeSeconds?: number;
    refreshTtlSeconds?: number;
    graceSeconds?: number;
    /** The refresh policy's store (default a memory store on the kit's clock). */
    refreshStore?: RefreshTokenStore;
    /** The refresh policy's store timeout in ms (default 1000). */
    refreshTimeoutMs?: number;
  } = {},
): FlowKit {
  const clock = testClock();
  const events = { failures: [] as string[], logins: [] as string[] };
  const hooks: ValidationHooks = {
    onFailure: (e) => events.failures.push(`${e.tokenType}:${e.reason}`),
    onLogin: (e) => events.logins.push(e.result),
  };
  const issuer = new TokenIssuer({
    accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
    refreshSecret: REFRESH_SECRET,
    clock: clock.now,
    refreshTtlSeconds: options.refreshTtlSeconds,
    sessionLifetimeSeconds: options.sessionLifetimeSeconds,
  });
  const revocations = new MemoryRevocationStore({ clock: clock.now });
  const policy = new TokenPolicy({
    validator: new TokenValidator({
      secret: { key: HS_SECRET, algorithm: 'HS256' },
      config: createValidationConfig({ allowedAlgorithms: ['HS256'] }),
      clock: clock.now,
      cache: false,
    }),
    revocationStore: revocations,
    tokenMode: 'stateful',
    clock: clock.now,
    logger: quiet,
  });
  const refreshPolicy = new RefreshTokenPolicy({
    secret: REFRESH_SECRET,
    store: options.refreshStore ?? new MemoryRefreshTokenStore({ clock: clock.now }),
    graceSeconds: options.graceSeconds,
    timeoutMs: options.refreshTimeoutMs,
    breaker: false,
    clock: clock.now,
    hooks,
    logger: quiet,
  });
  const sessions = new MemorySessionStore({ clock: clock.now });
  const user: AuthUser = { sub: randomUUID(), email: 'user@example.com', is_active: true };
  const flows = createAuthFlows({
    issuer,
    refreshPolicy,
    policy,
    sessions,
    findUser: (id) => (id === user.sub ? user : undefined),
    verifyCredentials: async (email, password) =>
      email === user.email && password === PASSWORD ? user : null,
    hooks,
    clock: clock.now,
    logger: quiet,
    ...options,
  });
  const accessOk = (token: string): Promise<boolean> =>
    policy.validate(token).then(
      () => true,
      () => false,
    );
  return {
    clock,
    flows,
    issuer,
    policy,
    refreshPolicy,
    sessions,
    revocations,
    user,
    events,
    accessOk,
  };
}

export const post = (body?: unknown, headers: Record<string, string> = {}): FlowRequest => ({
  method: 'POST',
  headers,
  body,
  ip: '198.51.100.7',
});

export const bearer = (token: string, body?: unknown): FlowRequest =>
  post(body, { authorization: `Bearer ${token}` });

export async function login(kit: FlowKit): Promise<Tokens> {
  const answer = await kit.flows.login(post({ email: kit.user.email, password: PASSWORD }));
  return answer.body as Tokens;
}

export async function refresh(kit: FlowKit, token: string): Promise<Tokens> {
  const answer: FlowResponse = await kit.flows.refresh(post({ refresh_token: token }));
  return answer.body as Tokens;
}

/** The payload of a JWT, unverified (the tests read what the flows signed). */
export function claimsOf(token: string): TokenUserData & Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The rejection of a flow, or a failure when it resolved. */
export async function refusal(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err as Error & Record<string, unknown>,
  );
  if (outcome === undefined) throw new Error('expected the flow to refuse');
  return outcome;
}
