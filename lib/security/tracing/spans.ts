/**
 * One helper per span of the package, each called on one line where its work happens. Off
 * (no tracer provider), each is one check and a direct call of the work it wraps. Spans carry
 * names, fixed outcomes and configuration: never a token, a secret, a password or a claim value.
 */
import { InvalidTokenError } from '../../core/errors';
import type { StoreRotation } from '../store-contracts';
import type { StoreGuard } from '../store-guard';
import {
  activeTracer,
  doneSpan,
  inSpan,
  setTraceAttributes,
  type Attributes,
  type Span,
  type SpanPlan,
  type Tracer,
} from './api';
import { recordFailure } from './outcomes';

/** `inSpan`, refusals and failures described by `recordFailure` unless the plan says. */
function traced<T>(
  tracer: Tracer,
  plan: SpanPlan<T>,
  work: (span: Span) => T | Promise<T>,
): Promise<T> {
  return inSpan(tracer, plan, work, recordFailure);
}

/** The request pipeline (`createRequestAuthenticator`): one span per authenticated request. */
export function traceAuthentication<R, A extends { source: string }>(
  authenticate: (request: R) => Promise<A | undefined>,
): (request: R) => Promise<A | undefined> {
  return (request) => {
    const tracer = activeTracer();
    if (tracer === undefined) return authenticate(request);
    return traced(
      tracer,
      { name: 'auth.authenticate', onValue: authenticated, onError: refused },
      () => authenticate(request),
    );
  };
}

function authenticated(span: Span, found: { source: string } | undefined): void {
  if (found === undefined) span.setAttribute('auth.result', 'anonymous');
  else span.setAttributes({ 'auth.result': 'authenticated', 'auth.token.source': found.source });
}

function refused(span: Span, error: unknown): void {
  if (recordFailure(span, error)) span.setAttribute('auth.result', 'refused');
}

/** Access-token validation (`TokenValidator`): the algorithm and the verdict. */
export function traceTokenValidation<T>(
  algorithm: string | undefined,
  validate: () => Promise<T>,
): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return validate();
  const attributes: Attributes = { 'auth.token.type': 'access' };
  if (algorithm !== undefined) attributes['auth.token.algorithm'] = algorithm;
  const plan = { name: 'auth.validate_token', attributes, onValue: valid, onError: invalid };
  return traced(tracer, plan, validate);
}

function valid(span: Span): void {
  span.setAttribute('auth.token.verdict', 'valid');
}

function invalid(span: Span, error: unknown): void {
  if (error instanceof InvalidTokenError) span.setAttribute('auth.token.verdict', 'invalid');
  recordFailure(span, error);
}

/** The revocation check (`TokenPolicy.validate`) that asks its store: the store call inside. */
export function traceRevocationCheck(check: () => Promise<boolean>): Promise<boolean> {
  const tracer = activeTracer();
  if (tracer === undefined) return check();
  const attributes = { 'auth.revocation.source': 'store' };
  return traced(
    tracer,
    { name: 'auth.revocation_check', attributes, onValue: revokedOrNot },
    check,
  );
}

function revokedOrNot(span: Span, revoked: boolean): void {
  span.setAttribute('auth.token.revoked', revoked);
}

/**
 * A revocation answer the store knew without a call (`isRevokedLocally`), passed through; as
 * its check's span when there is one (undefined: none, the store is asked).
 */
export function traceLocalRevocation(revoked: boolean | undefined): boolean | undefined {
  if (revoked === undefined) return revoked;
  const tracer = activeTracer();
  if (tracer === undefined) return revoked;
  const attributes = { 'auth.revocation.source': 'local', 'auth.token.revoked': revoked };
  doneSpan(tracer, 'auth.revocation_check', attributes);
  return revoked;
}

/**
 * One guarded store call (`GuardedStore.call` / `attempt`): a database client span (internal
 * for the memory stores) named after the store method the call invokes, with the guard's
 * timeout, breaker state and failure mode. `db.system.name` comes from the guard's store name.
 */
export function traceStoreCall<S extends object, T>(
  guard: StoreGuard,
  store: S,
  call: (store: S) => Promise<T>,
): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return call(store);
  const system = dbSystemOf(guard.store);
  const attributes: Attributes = {
    'db.system.name': system,
    'db.system': system,
    'auth.store.name': guard.store,
    'auth.store.control': guard.control,
    'auth.store.failure_mode': guard.failureMode,
    'auth.store.breaker.state': guard.breaker?.state ?? 'none',
  };
  if (Number.isFinite(guard.timeoutMs)) attributes['auth.store.timeout_ms'] = guard.timeoutMs;
  // Named after the database until the call names its method (it may never: circuit open).
  const plan = { name: system, client: system !== 'memory', attributes };
  return traced(tracer, plan, (span) => call(namingProxy(store, span)));
}

/** `db.system.name` of a store, from its guard's name (a class name or `storeName`). */
export function dbSystemOf(storeName: string): string {
  const name = storeName.toLowerCase();
  if (name.includes('redis')) return 'redis';
  if (name.includes('postgres') || name === 'pg') return 'postgresql';
  if (name.includes('mysql')) return 'mysql';
  if (name.includes('maria')) return 'mariadb';
  if (name.includes('memory')) return 'memory';
  return name;
}

/** The store, as seen by one guarded call: the first method it calls names the span. */
function namingProxy<S extends object>(store: S, span: Span): S {
  let named = false;
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!named && typeof property === 'string') {
        named = true;
        span.updateName(property);
        span.setAttribute('db.operation.name', property);
      }
      // The store's own `this` (its private fields are not the proxy's).
      return (...args: unknown[]) => Reflect.apply(value, target, args);
    },
  });
}

/** A JWKS fetch (`JwksKeyResolver`): the URL without credentials or query, and the result. */
export function traceJwksFetch(uri: string, fetchKeys: () => Promise<void>): Promise<void> {
  const tracer = activeTracer();
  if (tracer === undefined) return fetchKeys();
  const url = new URL(uri);
  const attributes: Attributes = {
    'http.request.method': 'GET',
    'url.full': `${url.protocol}//${url.host}${url.pathname}`,
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  };
  return traced(tracer, { name: 'auth.jwks.fetch', attributes }, fetchKeys);
}

/** Span names of the auth flows (`createAuthFlows`). */
export type FlowSpanName =
  | 'auth.login'
  | 'auth.refresh'
  | 'auth.logout'
  | 'auth.logout_all'
  | 'auth.sessions.list'
  | 'auth.sessions.revoke'
  | 'auth.sessions.end_user';

/** One auth flow; its outcome comes from the flow's own hook events (see `traceHookEvent`). */
export function traceFlow<T>(name: FlowSpanName, run: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return run();
  return traced(tracer, { name }, run);
}

/** What a refresh rotation came to: the store's outcome, or `degraded` (fail_open, no store). */
export type RotationOutcome = StoreRotation['status'] | 'degraded';

/** Records a rotation's outcome on the current span (the refresh flow's). */
export function traceRotation(outcome: RotationOutcome): void {
  setTraceAttributes({ 'auth.refresh.rotation': outcome });
}
